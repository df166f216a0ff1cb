import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

export const ACCESS_TOKEN_SECONDS = 24 * 60 * 60;
export const REFRESH_TOKEN_SECONDS = 7 * 24 * 60 * 60;
export const TOKEN_SCOPE = 'read write';

/** What every login answers with, as the reference does. */
export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** Tokens are stored as their SHA-256: a leaked table holds no usable token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Issues an access token (1 day) and a refresh token (7 days) for a user. */
export async function issueTokens(
  db: Kysely<DB>,
  userId: number,
  applicationId: number | null,
  now: Date = new Date(),
): Promise<TokenPair> {
  const access = newToken();
  const refresh = newToken();
  const stored = await db
    .insertInto('public.oauth_access_token')
    .values({
      token_hash: hashToken(access),
      user_id: userId,
      application_id: applicationId,
      expires_at: new Date(now.getTime() + ACCESS_TOKEN_SECONDS * 1000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('public.oauth_refresh_token')
    .values({
      token_hash: hashToken(refresh),
      user_id: userId,
      application_id: applicationId,
      access_token_id: stored.id,
      expires_at: new Date(now.getTime() + REFRESH_TOKEN_SECONDS * 1000),
    })
    .execute();
  return { access_token: access, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, refresh_token: refresh, scope: TOKEN_SCOPE };
}

/** The id of the live user an unexpired access token belongs to. */
export async function userIdForAccessToken(db: Kysely<DB>, token: string, now: Date = new Date()): Promise<number | undefined> {
  const row = await db
    .selectFrom('public.oauth_access_token as t')
    .innerJoin('public.user as u', 'u.id', 't.user_id')
    .select('u.id')
    .where('t.token_hash', '=', hashToken(token))
    .where('t.expires_at', '>', now)
    .where('u.deleted_at', 'is', null)
    .where('u.is_active', '=', true)
    .executeTakeFirst();
  return row?.id;
}
