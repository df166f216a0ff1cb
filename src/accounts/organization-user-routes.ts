import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../errors.ts';
import { requireUser, type CurrentUser } from './current-user.ts';
import { adminOrganizationIds, findMembership, listMemberships, roleInOrganization, type MembershipWithRole } from './memberships.ts';
import { createMembership, deleteMembership, updateMembership, type MembershipInput } from './membership-writes.ts';
import { canGrant } from './permissions.ts';
import { findRole } from './roles.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { booleanField, bodyOf, documentedFields, idField, pathId } from './request-input.ts';

const IdParams = Type.Object({ id: Type.String() });
const tags = ['organization-users'];
const MembershipBody = documentedFields({ user: 'user id', organization: 'organization id', role: 'role id', is_owner: 'true or false' });

/**
 * `/api/v1/organization-users/`: memberships. Superusers manage all of them;
 * an organization's admins see its members and grant the roles below their
 * own (`permissions.ts`); everyone else sees none.
 */
export async function organizationUserRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db } = deps.context;

  /** The memberships a viewer may see: all for superusers, those of the organizations they administer otherwise. */
  const visibleTo = async (viewer: CurrentUser, membership: MembershipWithRole | undefined) => {
    if (!membership) return false;
    return viewer.isSuperuser || (await adminOrganizationIds(db, viewer.id)).includes(membership.organization);
  };

  /**
   * The reference's order of checks: the actor's right to grant the requested
   * role in the target organization first (403), then the membership's
   * existence (404), then the right to manage the role it has now (403).
   */
  const authorizeGrant = async (viewer: CurrentUser, organizationId: number | undefined, roleId: number | undefined) => {
    if (viewer.isSuperuser) return;
    if (organizationId === undefined || roleId === undefined) throw errors.permissionDenied();
    const actorRole = await roleInOrganization(db, viewer.id, organizationId);
    const role = await findRole(db, roleId);
    if (!role || !canGrant(actorRole, role.name)) throw errors.permissionDenied();
  };

  const changed = async (...userIds: number[]) => {
    for (const userId of new Set(userIds)) await deps.events.publish(userId);
  };

  app.get(
    '/api/v1/organization-users/',
    {
      schema: {
        tags,
        summary: 'Memberships of the organizations the caller administers (all for superusers)',
        querystring: Type.Object({ organization: Type.Optional(Type.String()) }),
      },
    },
    async (request) => {
      const viewer = requireUser(request);
      const requested = (request.query as { organization?: string }).organization;
      const headerOrganization = request.headers.organization ? request.tenant.id : undefined;
      let organizationIds: number[] | undefined;
      if (requested !== undefined) {
        if (!/^\d{1,15}$/.test(requested)) return [];
        organizationIds = [Number(requested)];
      } else if (headerOrganization != null) {
        organizationIds = [headerOrganization];
      }
      if (!viewer.isSuperuser) {
        const administered = await adminOrganizationIds(db, viewer.id);
        organizationIds = organizationIds ? organizationIds.filter((id) => administered.includes(id)) : administered;
      }
      return listMemberships(db, organizationIds);
    },
  );

  app.post('/api/v1/organization-users/', { schema: { tags, summary: 'Add a member', body: MembershipBody } }, async (request, reply) => {
    const viewer = requireUser(request);
    const body = bodyOf(request);
    await authorizeGrant(viewer, idField(body, 'organization'), idField(body, 'role'));
    const created = await createMembership(db, completeInput(body));
    await changed(created.user);
    return reply.status(201).send(created);
  });

  app.get('/api/v1/organization-users/:id/', { schema: { tags, summary: 'A membership', params: IdParams } }, async (request) => {
    const viewer = requireUser(request);
    const membership = await findMembership(db, pathId((request.params as { id: string }).id));
    if (!membership || !(await visibleTo(viewer, membership))) throw errors.notFound();
    const { roleName: _role, ...json } = membership;
    return json;
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/v1/organization-users/:id/',
      schema: { tags, summary: "Change a member's role", params: IdParams, body: MembershipBody },
      handler: async (request: FastifyRequest) => {
        const viewer = requireUser(request);
        const body = bodyOf(request);
        const membership = await findMembership(db, pathId((request.params as { id: string }).id));
        const input = method === 'PUT' ? completeInput(body) : { ...pickMembership(membership), ...partialInput(body) };
        await authorizeGrant(viewer, input.organization ?? membership?.organization, input.role ?? membership?.role);
        if (!membership || !(await visibleTo(viewer, membership))) throw errors.notFound();
        if (!viewer.isSuperuser) {
          const actorRole = await roleInOrganization(db, viewer.id, input.organization ?? membership.organization);
          if (!canGrant(actorRole, membership.roleName)) throw errors.permissionDenied();
        }
        const updated = await updateMembership(db, membership, { ...pickMembership(membership)!, ...input });
        await changed(membership.user, updated.user);
        return updated;
      },
    });
  }

  app.delete('/api/v1/organization-users/:id/', { schema: { tags, summary: 'Remove a member', params: IdParams } }, async (request, reply) => {
    const viewer = requireUser(request);
    const membership = await findMembership(db, pathId((request.params as { id: string }).id));
    if (!membership || !(await visibleTo(viewer, membership))) throw errors.notFound();
    if (!viewer.isSuperuser && !canGrant(await roleInOrganization(db, viewer.id, membership.organization), membership.roleName)) {
      throw errors.permissionDenied();
    }
    await deleteMembership(db, membership);
    await changed(membership.user);
    return reply.status(204).send();
  });
}

function pickMembership(membership: MembershipWithRole | undefined): MembershipInput | undefined {
  return membership && { user: membership.user, organization: membership.organization, role: membership.role, is_owner: membership.is_owner };
}

function partialInput(body: Record<string, unknown>): Partial<MembershipInput> {
  const input: Partial<MembershipInput> = {};
  const user = idField(body, 'user');
  const organization = idField(body, 'organization');
  const role = idField(body, 'role');
  const isOwner = booleanField(body, 'is_owner');
  if (user !== undefined) input.user = user;
  if (organization !== undefined) input.organization = organization;
  if (role !== undefined) input.role = role;
  if (isOwner !== undefined) input.is_owner = isOwner;
  return input;
}

/** A whole membership (POST, PUT): user, organization and role are required. */
function completeInput(body: Record<string, unknown>): MembershipInput {
  const input = partialInput(body);
  const missing = (['user', 'organization', 'role'] as const).filter((field) => input[field] === undefined);
  if (missing.length > 0) throw errors.validation(Object.fromEntries(missing.map((field) => [field, ['This field is required.']])));
  return input as MembershipInput;
}
