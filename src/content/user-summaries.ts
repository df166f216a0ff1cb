import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { iso, type Json } from './representations.ts';

/**
 * Users as embedded in plios, sessions and experiments (`created_by`,
 * `user`), loaded in one query for any number of ids. Read fresh on every
 * request (never cached with the plio), so a change to a user or to their
 * memberships is seen at once.
 */
export async function loadUserSummaries(db: Kysely<DB>, ids: readonly number[]): Promise<Map<number, Json>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom('public.user')
    .select(['id', 'email', 'mobile', 'first_name', 'last_name', 'avatar_url', 'config', 'status', 'unique_id', 'date_joined', 'last_login', 'is_superuser'])
    .where('id', 'in', unique)
    .execute();
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        email: row.email,
        mobile: row.mobile,
        first_name: row.first_name,
        last_name: row.last_name,
        avatar_url: row.avatar_url,
        config: row.config ?? {},
        status: row.status,
        unique_id: row.unique_id,
        date_joined: iso(row.date_joined),
        last_login: iso(row.last_login),
        is_superuser: row.is_superuser,
      },
    ]),
  );
}
