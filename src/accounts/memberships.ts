import type { FastifyRequest } from 'fastify';
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

const workspaceRoles = new WeakMap<FastifyRequest, Promise<RoleName | undefined>>();

/**
 * The signed-in user's role in the organization the request addresses
 * (`undefined` in the personal workspace, without a login, or when not a
 * member). Authentication reads it with the token, so permission checks
 * cost no query of their own; otherwise it is asked once per request.
 */
export function workspaceRole(request: FastifyRequest, db: Kysely<DB>): Promise<RoleName | undefined> {
  const known = workspaceRoles.get(request);
  if (known) return known;
  const organizationId = request.tenant?.id ?? null;
  const asked =
    !request.user || organizationId === null || request.scope.isPersonalWorkspace
      ? Promise.resolve(undefined)
      : roleInOrganization(db, request.user.id, organizationId);
  workspaceRoles.set(request, asked);
  return asked;
}

/** Records the role authentication read along with the token. */
export function rememberWorkspaceRole(request: FastifyRequest, role: RoleName | undefined): void {
  workspaceRoles.set(request, Promise.resolve(role));
}

/** A membership as the API shows it (ids, as the reference's serializer gives them). */
export interface Membership {
  id: number;
  user: number;
  organization: number;
  role: number;
  is_owner: boolean;
}

/** The member as listed with a membership: what the client's Members page shows, so it needs no user calls of its own. */
export interface MemberDetails {
  id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  mobile: string | null;
  avatar_url: string | null;
  status: string;
}

export interface ListedMembership extends Membership {
  user_details: MemberDetails;
}

export interface MembershipWithRole extends ListedMembership {
  roleName: RoleName;
}

function memberships(db: Kysely<DB>) {
  return db
    .selectFrom('public.organization_user as m')
    .innerJoin('public.role as r', 'r.id', 'm.role_id')
    .innerJoin('public.user as u', 'u.id', 'm.user_id')
    .select(['m.id', 'm.user_id as user', 'm.organization_id as organization', 'm.role_id as role', 'm.is_owner', 'r.name as roleName'])
    .select(['u.first_name', 'u.last_name', 'u.email', 'u.mobile', 'u.avatar_url', 'u.status'])
    .orderBy('m.id');
}

type MembershipRow = Awaited<ReturnType<ReturnType<typeof memberships>['executeTakeFirstOrThrow']>>;

function withUserDetails({ first_name, last_name, email, mobile, avatar_url, status, roleName, ...membership }: MembershipRow): MembershipWithRole {
  return {
    ...membership,
    roleName: roleName as RoleName,
    user_details: { id: membership.user, first_name, last_name, email, mobile, avatar_url, status },
  };
}

export async function findMembership(db: Kysely<DB>, id: number): Promise<MembershipWithRole | undefined> {
  const row = await memberships(db).where('m.id', '=', id).executeTakeFirst();
  return row && withUserDetails(row);
}

/** Memberships of the given organizations (every membership when `organizationIds` is omitted). */
export async function listMemberships(db: Kysely<DB>, organizationIds?: readonly number[]): Promise<ListedMembership[]> {
  if (organizationIds?.length === 0) return [];
  let query = memberships(db);
  if (organizationIds) query = query.where('m.organization_id', 'in', organizationIds);
  return (await query.execute()).map((row) => {
    const { roleName: _role, ...membership } = withUserDetails(row);
    return membership;
  });
}

/** Organizations where the user is an admin (`super-admin` or `org-admin`). */
export async function adminOrganizationIds(db: Kysely<DB>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('public.organization_user as m')
    .innerJoin('public.role as r', 'r.id', 'm.role_id')
    .select('m.organization_id')
    .where('m.user_id', '=', userId)
    .where('r.name', 'in', ['super-admin', 'org-admin'])
    .execute();
  return rows.map((row) => row.organization_id);
}
