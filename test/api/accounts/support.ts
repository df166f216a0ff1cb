import { readFile } from 'node:fs/promises';
import type { Clock } from '../../../src/accounts/clock.ts';

/** The OAuth client every accounts test boots with. */
export const CLIENT = Object.freeze({ id: 'test-client', secret: 'test-client-secret-0123456789' });
export const CLIENT_ENV = Object.freeze({ DEFAULT_OAUTH2_CLIENT_ID: CLIENT.id, DEFAULT_OAUTH2_CLIENT_SECRET: CLIENT.secret });

/** A clock that starts at the real time and moves only when told. */
export interface TestClock extends Clock {
  advance(seconds: number): void;
}

export function testClock(): TestClock {
  let now = Date.now();
  const clock = (() => new Date(now)) as TestClock;
  clock.advance = (seconds) => {
    now += seconds * 1000;
  };
  return clock;
}

/** The last code the outbox SMS driver wrote for a mobile number. */
export async function lastOtp(outboxFile: string, mobile: string): Promise<string> {
  const lines = (await readFile(outboxFile, 'utf8')).trim().split('\n');
  const messages = lines.map((line) => JSON.parse(line) as { mobile: string; message: string; at: string });
  const mine = messages.filter((entry) => entry.mobile === mobile).at(-1);
  const code = mine && /\b(\d{6})\b/.exec(mine.message)?.[1];
  if (!code) throw new Error(`no OTP was sent to ${mobile}`);
  return code;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
