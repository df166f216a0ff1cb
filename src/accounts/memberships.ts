import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

export type RoleName = 'super-admin' | 'org-admin' | 'org-view';

/** The user's role in an organization, or `undefined` when not a member. */
export async function roleInOrganization(db: Kysely<DB>, userId: number, organizationId: number): Promise<RoleName | undefined> {
  const row = await db
    .selectFrom('public.organization_user as m')
    .innerJoin('public.role as r', 'r.id', 'm.role_id')
    .select('r.name')
    .where('m.user_id', '=', userId)
    .where('m.organization_id', '=', organizationId)
    .executeTakeFirst();
  return row?.name as RoleName | undefined;
}
