import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { credentialsChanged } from './credential-cache.ts';
import { normalizeMobile } from './phone-numbers.ts';
import type { UserEvents } from './user-events.ts';
import { liveUsers, type UserRow } from './users.ts';

/**
 * What a superuser changes on other users from the operator console:
 * the waitlist status and the superuser flag. Each change reaches the
 * user's signed-in sessions (credentials) and open WebSockets (events),
 * as the API's own user writes do.
 */

const SEARCH_LIMIT = 50;

/** Users whose email, phone or SSO id contains `text` (case-insensitive), newest first; the latest users without a search. */
export async function searchUsers(db: Kysely<DB>, text: string, limit = SEARCH_LIMIT): Promise<UserRow[]> {
  const search = text.trim();
  const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return liveUsers(db)
    .$if(search !== '', (q) =>
      q.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('mobile', 'like', pattern), eb('unique_id', 'ilike', pattern)])),
    )
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/**
 * The live user with this email, or else with this phone number (in any
 * form: numbers are stored in E.164, read in `phoneRegion` when they carry no
 * country code); the catalog's error otherwise.
 */
export async function userByEmailOrPhone(db: Kysely<DB>, identity: string, phoneRegion: string): Promise<UserRow> {
  const value = identity.trim();
  const user = value.includes('@')
    ? await liveUsers(db).where('email', '=', value).executeTakeFirst()
    : await liveUsers(db).where('mobile', '=', normalizeMobile(value, phoneRegion)).orderBy('id').executeTakeFirst();
  if (!user) throw errors.userNotFoundByIdentity(value);
  return user;
}

export interface UserMembership {
  id: number;
  organizationId: number;
  shortcode: string;
  organizationName: string;
  role: string;
}

/** A user's memberships of live organizations, by shortcode. */
export async function membershipsOfUser(db: Kysely<DB>, userId: number): Promise<UserMembership[]> {
  return db
    .selectFrom('public.organization_user as m')
    .innerJoin('public.organization as o', 'o.id', 'm.organization_id')
    .innerJoin('public.role as r', 'r.id', 'm.role_id')
    .select(['m.id', 'o.id as organizationId', 'o.shortcode', 'o.name as organizationName', 'r.name as role'])
    .where('m.user_id', '=', userId)
    .where('o.deleted_at', 'is', null)
    .orderBy('o.shortcode')
    .execute();
}

/** Approves a waitlisted user (`approved`) or puts them back on the waitlist. */
export function setUserStatus(db: Kysely<DB>, events: UserEvents, userId: number, status: 'waitlist' | 'approved'): Promise<UserRow> {
  return changeUser(db, events, userId, { status });
}

/** Grants or takes away the superuser flag. */
export function setSuperuser(db: Kysely<DB>, events: UserEvents, userId: number, isSuperuser: boolean): Promise<UserRow> {
  return changeUser(db, events, userId, { is_superuser: isSuperuser });
}

async function changeUser(
  db: Kysely<DB>,
  events: UserEvents,
  userId: number,
  changes: { status?: 'waitlist' | 'approved'; is_superuser?: boolean },
): Promise<UserRow> {
  const user = await db
    .updateTable('public.user')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!user) throw errors.userNotFound();
  await credentialsChanged(db, [user.id]);
  await events.publish(user.id);
  return user;
}
