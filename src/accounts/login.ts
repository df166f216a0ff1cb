import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { SecretKey } from '../secret-key.ts';
import type { AbuseLimits } from './abuse-limits.ts';
import type { Clock } from './clock.ts';
import { issueTokens, type TokenPair } from './tokens.ts';
import { userForPassword, type UserRow } from './users.ts';

/** Signs a user in: records the login and issues a token pair. */
export async function signIn(db: Kysely<DB>, key: SecretKey, userId: number, applicationId: number | null, clock: Clock): Promise<TokenPair> {
  const now = clock();
  await db.updateTable('public.user').set({ last_login: now }).where('id', '=', userId).execute();
  return issueTokens(db, key, userId, applicationId, now);
}

/**
 * A password check under the account's guess limit (docs/security.md): the
 * guess is counted before the password is compared, so a spent account
 * refuses even the right password until its window passes; a right one
 * clears the count. Every way in by password (the token endpoint, the
 * operator console) goes through here.
 */
export async function userForThrottledPassword(db: Kysely<DB>, limits: AbuseLimits, email: string, password: string): Promise<UserRow | undefined> {
  const account = email.trim().toLowerCase();
  await limits.passwordAccount.take(account);
  const user = await userForPassword(db, email, password);
  if (user) await limits.passwordAccount.reset(account);
  return user;
}
