/**
 * Who may see and change a plio: the reference's access matrix, in one
 * place, for every feature that reaches plios (content, learning, analytics).
 *
 * - Personal workspace: a plio is its creator's alone.
 * - Organization workspace: members reach the public plios; private plios
 *   stay with their creator; non-members reach only their own.
 * - Superusers reach every plio of the workspace they address.
 * - A plio that does not exist (or is deleted) is a 404, one the user may
 *   not reach a 403.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { requireUser, type CurrentUser } from '../accounts/current-user.ts';
import { workspaceRole } from '../accounts/memberships.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';

/** The plio facts access depends on. */
export interface PlioOwnership {
  created_by_id: number;
  is_public: boolean;
}

/**
 * Whether the signed-in user belongs to the request's organization (false in
 * the personal workspace, which has no members).
 */
export async function isWorkspaceMember(request: FastifyRequest, db: Kysely<DB>): Promise<boolean> {
  return (await workspaceRole(request, db)) !== undefined;
}

/** The matrix itself: may `user` read and edit `plio` in this request's workspace? */
export async function mayAccessPlio(request: FastifyRequest, db: Kysely<DB>, user: CurrentUser, plio: PlioOwnership): Promise<boolean> {
  if (user.isSuperuser || plio.created_by_id === user.id) return true;
  if (request.scope.isPersonalWorkspace) return false;
  return plio.is_public && (await isWorkspaceMember(request, db));
}

/** Play needs no login: public plios play for anyone, private ones for their creator. */
export function mayPlayPlio(user: CurrentUser | null, plio: PlioOwnership): boolean {
  return plio.is_public || (user !== null && user.id === plio.created_by_id);
}

/** Throws the reference's 403 unless the user may reach the plio. */
export async function assertPlioAccess(request: FastifyRequest, db: Kysely<DB>, plio: PlioOwnership): Promise<CurrentUser> {
  const user = requireUser(request);
  if (!(await mayAccessPlio(request, db, user, plio))) throw errors.permissionDenied();
  return user;
}

/** Creating content in an organization's workspace is for its members only. */
export async function assertMayCreateInWorkspace(request: FastifyRequest, db: Kysely<DB>): Promise<CurrentUser> {
  const user = requireUser(request);
  if (request.scope.isPersonalWorkspace) return user;
  if (!(await isWorkspaceMember(request, db))) throw errors.permissionDenied();
  return user;
}

/**
 * Finds a live plio by uuid in the request's workspace and checks that the
 * signed-in user may read and edit it: 401 without a login, 404 when there is
 * no such plio, 403 when it is not theirs to reach. The entry point for
 * features that act on one plio (metrics, reports...).
 */
export async function findPlioForUser(request: FastifyRequest, db: Kysely<DB>, uuid: string) {
  requireUser(request);
  const plio = await request.scope.query
    .selectFrom('plio')
    .selectAll()
    .where('uuid', '=', uuid)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!plio) throw errors.notFound();
  await assertPlioAccess(request, db, plio);
  return plio;
}

/**
 * Narrows a plio query to what the user may reach (lists of items,
 * questions...): all for superusers, otherwise own plios plus, for members
 * of an organization, its public ones.
 */
export async function accessiblePlioFilter(
  request: FastifyRequest,
  db: Kysely<DB>,
  user: CurrentUser,
): Promise<{ all: true } | { all: false; creatorId: number; publicToo: boolean }> {
  if (user.isSuperuser) return { all: true };
  const publicToo = !request.scope.isPersonalWorkspace && (await isWorkspaceMember(request, db));
  return { all: false, creatorId: user.id, publicToo };
}
