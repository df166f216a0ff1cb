/**
 * What the accounts feature opens once per running app and other features
 * (the operator console) must share rather than open again: the user events
 * (so WebSockets on this server hear the console's changes without Redis)
 * and the abuse limits (so a password guessed in the console counts against
 * the same account as one guessed at `/auth/token/`).
 */
import type { AbuseLimits } from './abuse-limits.ts';
import type { UserEvents } from './user-events.ts';

export interface AccountServices {
  readonly events: UserEvents;
  readonly limits: AbuseLimits;
}

const byContext = new WeakMap<object, AccountServices>();

/** The services the accounts feature opened for this app (`context` is its AppContext). */
export function accountServicesOf(context: object): AccountServices {
  const services = byContext.get(context);
  if (!services) throw new Error('account services are not open: the accounts feature opens them');
  return services;
}

export function rememberAccountServices(context: object, services: AccountServices): void {
  byContext.set(context, services);
}
