import type { AppContext } from '../app-context.ts';
import type { AbuseLimits } from './abuse-limits.ts';
import type { Clock } from './clock.ts';
import type { SmsSender } from './sms.ts';
import type { UserEvents } from './user-events.ts';

/** What the accounts routes share: the process context and the account services. */
export interface AccountsDeps {
  readonly context: AppContext;
  readonly clock: Clock;
  readonly events: UserEvents;
  readonly sms: SmsSender;
  readonly limits: AbuseLimits;
}
