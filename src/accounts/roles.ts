import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { RoleName } from './memberships.ts';

/** The roles, in the order the reference seeds them (ids 1, 2, 3 on a fresh database). */
export const ROLE_NAMES: readonly RoleName[] = Object.freeze(['super-admin', 'org-admin', 'org-view']);

export interface Role {
  id: number;
  name: RoleName;
  created_at: Date;
  updated_at: Date;
}

/** Creates the roles that are missing. Safe on every boot and from several processes. */
export async function seedRoles(db: Kysely<DB>): Promise<void> {
  for (const name of ROLE_NAMES) {
    await db
      .insertInto('public.role')
      .values({ name })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
}

/** Live roles with the given names (all when omitted), by id. */
export async function listRoles(db: Kysely<DB>, names?: readonly RoleName[]): Promise<Role[]> {
  if (names?.length === 0) return [];
  let query = db
    .selectFrom('public.role')
    .select(['id', 'name', 'created_at', 'updated_at'])
    .where('deleted_at', 'is', null)
    .orderBy('id');
  if (names) query = query.where('name', 'in', names);
  return (await query.execute()) as Role[];
}

export async function findRole(db: Kysely<DB>, id: number): Promise<Role | undefined> {
  const row = await db
    .selectFrom('public.role')
    .select(['id', 'name', 'created_at', 'updated_at'])
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row as Role | undefined;
}
