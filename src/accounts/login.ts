import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { SecretKey } from '../secret-key.ts';
import type { Clock } from './clock.ts';
import { issueTokens, type TokenPair } from './tokens.ts';

/** Signs a user in: records the login and issues a token pair. */
export async function signIn(db: Kysely<DB>, key: SecretKey, userId: number, applicationId: number | null, clock: Clock): Promise<TokenPair> {
  const now = clock();
  await db.updateTable('public.user').set({ last_login: now }).where('id', '=', userId).execute();
  return issueTokens(db, key, userId, applicationId, now);
}
