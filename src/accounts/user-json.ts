import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { CurrentUser } from './current-user.ts';
import type { RoleName } from './memberships.ts';
import { organizationJson } from './organization-json.ts';
import { canSeeApiKey } from './permissions.ts';
import type { UserRow } from './users.ts';

/**
 * Users as the API shows them: the reference's fields, `config` always an
 * object, and `organizations` with the user's `role` in each. Built for a
 * whole list in two queries whatever its length.
 */
export async function usersJson(db: Kysely<DB>, users: readonly UserRow[], viewer: CurrentUser | null): Promise<Record<string, unknown>[]> {
  if (users.length === 0) return [];
  const memberships = await db
    .selectFrom('public.organization_user as m')
    .innerJoin('public.organization as o', 'o.id', 'm.organization_id')
    .innerJoin('public.role as r', 'r.id', 'm.role_id')
    .selectAll('o')
    .select(['m.user_id', 'r.name as role'])
    .where('m.user_id', 'in', users.map((user) => user.id))
    .where('o.deleted_at', 'is', null)
    .orderBy('m.id')
    .execute();
  const viewerRoles = await rolesOf(db, viewer);
  return users.map((user) => ({
    id: user.id,
    last_login: user.last_login,
    is_superuser: user.is_superuser,
    first_name: user.first_name,
    last_name: user.last_name,
    is_active: user.is_active,
    date_joined: user.date_joined,
    email: user.email,
    mobile: user.mobile,
    avatar_url: user.avatar_url,
    config: isObject(user.config) ? user.config : {},
    created_at: user.created_at,
    updated_at: user.updated_at,
    status: user.status,
    unique_id: user.unique_id,
    auth_org: user.auth_org_id,
    organizations: memberships
      .filter((membership) => membership.user_id === user.id)
      .map(({ user_id: _user, role, ...organization }) => ({
        ...organizationJson(organization, canSeeApiKey(viewer, viewerRoles.get(organization.id))),
        role,
      })),
  }));
}

export async function userJson(db: Kysely<DB>, user: UserRow, viewer: CurrentUser | null): Promise<Record<string, unknown>> {
  const [json] = await usersJson(db, [user], viewer);
  return json!;
}

/** The viewer's role per organization (needed only when the viewer is not a superuser). */
async function rolesOf(db: Kysely<DB>, viewer: CurrentUser | null): Promise<Map<number, RoleName>> {
  if (!viewer || viewer.isSuperuser) return new Map();
  const rows = await db
    .selectFrom('public.organization_user as m')
    .innerJoin('public.role as r', 'r.id', 'm.role_id')
    .select(['m.organization_id', 'r.name'])
    .where('m.user_id', '=', viewer.id)
    .execute();
  return new Map(rows.map((row) => [row.organization_id, row.name as RoleName]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
