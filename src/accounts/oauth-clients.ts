import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/**
 * Client secrets are stored as their SHA-256, unkeyed: they are long and
 * random (no guessing from the hash), come from the environment, and stay
 * valid whatever `SECRET_KEY` is.
 */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The name the reference gives its one OAuth application. */
export const API_APPLICATION_NAME = 'plio';

/**
 * Creates the OAuth client from `DEFAULT_OAUTH2_CLIENT_ID`/`_SECRET`, or
 * brings its secret in line with the environment.
 */
export async function ensureOAuthClient(db: Kysely<DB>, client: { id: string; secret: string }): Promise<number> {
  const row = await db
    .insertInto('public.oauth_application')
    .values({ name: API_APPLICATION_NAME, client_id: client.id, client_secret_hash: hashClientSecret(client.secret) })
    .onConflict((oc) =>
      oc.column('client_id').doUpdateSet({ client_secret_hash: hashClientSecret(client.secret), updated_at: new Date() }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The OAuth client with this id and secret, if both match. */
export async function findOAuthClient(db: Kysely<DB>, clientId: string, secret: string): Promise<{ id: number } | undefined> {
  const row = await db
    .selectFrom('public.oauth_application')
    .select(['id', 'client_secret_hash'])
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  const matches = row !== undefined && timingSafeEqual(Buffer.from(row.client_secret_hash), Buffer.from(hashClientSecret(secret)));
  return matches ? { id: row.id } : undefined;
}

/** The application logins without a client (OTP, SSO) mint tokens for: the configured default client, if any. */
export async function defaultApplicationId(db: Kysely<DB>, clientId: string | undefined): Promise<number | null> {
  if (clientId === undefined) return null;
  const row = await db.selectFrom('public.oauth_application').select('id').where('client_id', '=', clientId).executeTakeFirst();
  return row?.id ?? null;
}
