import type { FastifyRequest } from 'fastify';
import { requireUser } from '../accounts/current-user.ts';
import { roleInOrganization } from '../accounts/memberships.ts';
import type { Row } from '../db/schema.ts';
import { errors } from '../errors.ts';

/**
 * The live plio `uuid` of the request's workspace, if the signed-in user may
 * read it; otherwise the reference's 401, 404 or 403.
 *
 * The rule is the reference's `PlioPermission` on a detail route: superusers
 * read every plio; in the personal workspace only the creator does; in an
 * organization's workspace the creator does, and so does every member when
 * the plio is public.
 *
 * Analytics owns this check until the content feature exports its own; it is
 * the only place the analytics routes decide access, so swapping it is a
 * one-line change in `routes.ts`.
 */
export async function findReadablePlio(request: FastifyRequest, uuid: string): Promise<Row<'plio'>> {
  const user = requireUser(request);
  const plio = await request.scope.query
    .selectFrom('plio')
    .selectAll()
    .where('uuid', '=', uuid)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!plio) throw errors.notFound();
  if (user.isSuperuser || plio.created_by_id === user.id) return plio;
  const organizationId = request.tenant.id;
  if (request.scope.isPersonalWorkspace || organizationId === null || !plio.is_public) throw errors.permissionDenied();
  const role = await roleInOrganization(request.scope.db, user.id, organizationId);
  if (role === undefined) throw errors.permissionDenied();
  return plio;
}
