import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { SecretKey } from '../secret-key.ts';
import { credentialsChanged } from './credential-cache.ts';

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

/** Tokens are stored as a keyed hash (`SECRET_KEY`): a leaked table holds no usable token. */
export function hashToken(key: SecretKey, token: string): string {
  return key.hash('token', token);
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Issues an access token (1 day) and a refresh token (7 days) for a user. */
export async function issueTokens(
  db: Kysely<DB>,
  key: SecretKey,
  userId: number,
  applicationId: number | null,
  now: Date = new Date(),
): Promise<TokenPair> {
  return storeTokenPair(db, key, { userId, applicationId, accessToken: newToken(), refreshToken: newToken() }, now);
}

/** Stores a token pair minted elsewhere (the OAuth server's grants), hashed, with our lifetimes. */
export async function storeTokenPair(
  db: Kysely<DB>,
  key: SecretKey,
  pair: { userId: number; applicationId: number | null; accessToken: string; refreshToken: string },
  now: Date,
): Promise<TokenPair> {
  const stored = await db
    .insertInto('public.oauth_access_token')
    .values({
      token_hash: hashToken(key, pair.accessToken),
      user_id: pair.userId,
      application_id: pair.applicationId,
      expires_at: new Date(now.getTime() + ACCESS_TOKEN_SECONDS * 1000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('public.oauth_refresh_token')
    .values({
      token_hash: hashToken(key, pair.refreshToken),
      user_id: pair.userId,
      application_id: pair.applicationId,
      access_token_id: stored.id,
      expires_at: new Date(now.getTime() + REFRESH_TOKEN_SECONDS * 1000),
    })
    .execute();
  return {
    access_token: pair.accessToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_SECONDS,
    refresh_token: pair.refreshToken,
    scope: TOKEN_SCOPE,
  };
}

/**
 * The live user an unexpired access token (by its {@link hashToken}) belongs
 * to, with their role in `organizationId` when given (`null` when not a
 * member): one query.
 */
export async function userForAccessToken(db: Kysely<DB>, tokenHash: string, now: Date = new Date(), organizationId: number | null = null) {
  return db
    .selectFrom('public.oauth_access_token as t')
    .innerJoin('public.user as u', 'u.id', 't.user_id')
    // Without an organization the join matches nothing (ids are positive).
    .leftJoin('public.organization_user as m', (join) =>
      join.onRef('m.user_id', '=', 'u.id').on('m.organization_id', '=', organizationId ?? -1),
    )
    .leftJoin('public.role as r', 'r.id', 'm.role_id')
    .select(['u.id', 'u.email', 'u.mobile', 'u.is_superuser', 'r.name as workspace_role', 't.expires_at'])
    .where('t.token_hash', '=', tokenHash)
    .where('t.expires_at', '>', now)
    .where('u.deleted_at', 'is', null)
    .where('u.is_active', '=', true)
    .executeTakeFirst();
}

/** A live refresh token: unspent, unexpired, of a live user. */
export async function findRefreshToken(db: Kysely<DB>, key: SecretKey, refreshToken: string, now: Date) {
  return db
    .selectFrom('public.oauth_refresh_token as t')
    .innerJoin('public.user as u', 'u.id', 't.user_id')
    .select(['t.id', 't.user_id', 't.application_id', 't.expires_at'])
    .where('t.token_hash', '=', hashToken(key, refreshToken))
    .where('t.revoked_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('u.deleted_at', 'is', null)
    .where('u.is_active', '=', true)
    .executeTakeFirst();
}

/**
 * Spends a refresh token and revokes its access token. True only for the
 * one caller that spent it: a refresh token works exactly once, even when
 * two requests race with it.
 */
export async function spendRefreshToken(db: Kysely<DB>, id: number, now: Date): Promise<boolean> {
  const spent = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('public.oauth_refresh_token')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(['access_token_id', 'user_id'])
      .executeTakeFirst();
    if (row?.access_token_id != null) {
      await trx.deleteFrom('public.oauth_access_token').where('id', '=', row.access_token_id).execute();
    }
    return row;
  });
  if (!spent) return false;
  await credentialsChanged(db, [spent.user_id]);
  return true;
}

/**
 * Revokes an access or refresh token together with its partner (RFC 7009):
 * signing out ends the whole session. Tokens that are unknown or belong to
 * another client are ignored, as the RFC asks.
 */
export async function revokeToken(db: Kysely<DB>, key: SecretKey, token: string, applicationId: number, now: Date = new Date()): Promise<void> {
  const hash = hashToken(key, token);
  const userIds = await db.transaction().execute(async (trx) => {
    const access = await trx
      .selectFrom('public.oauth_access_token')
      .select(['id', 'user_id'])
      .where('token_hash', '=', hash)
      .where((eb) => eb.or([eb('application_id', 'is', null), eb('application_id', '=', applicationId)]))
      .executeTakeFirst();
    const refresh = await trx
      .updateTable('public.oauth_refresh_token')
      .set({ revoked_at: now })
      .where('revoked_at', 'is', null)
      .where((eb) =>
        eb.and([
          eb.or([eb('application_id', 'is', null), eb('application_id', '=', applicationId)]),
          access ? eb('access_token_id', '=', access.id) : eb('token_hash', '=', hash),
        ]),
      )
      .returning(['access_token_id', 'user_id'])
      .execute();
    const accessIds = [access?.id, ...refresh.map((row) => row.access_token_id)].filter((id): id is number => typeof id === 'number');
    if (accessIds.length > 0) await trx.deleteFrom('public.oauth_access_token').where('id', 'in', accessIds).execute();
    return [access?.user_id, ...refresh.map((row) => row.user_id)].filter((id): id is number => typeof id === 'number');
  });
  await credentialsChanged(db, userIds);
}
