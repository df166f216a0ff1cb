import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../errors.ts';
import { requireUser } from './current-user.ts';
import { roleInOrganization } from './memberships.ts';
import { grantableRoles } from './permissions.ts';
import { listRoles, type Role } from './roles.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { pathId } from './request-input.ts';

const tags = ['roles'];

/**
 * `/api/v1/roles/`: the roles the caller may grant in the organization the
 * `Organization` header names (all of them for superusers, none without a
 * header or a membership).
 */
export async function roleRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db } = deps.context;

  const visibleRoles = async (request: FastifyRequest): Promise<Role[]> => {
    const viewer = requireUser(request);
    if (viewer.isSuperuser) return listRoles(db);
    const organizationId = request.headers.organization ? request.tenant.id : null;
    if (organizationId === null) return [];
    return listRoles(db, grantableRoles(await roleInOrganization(db, viewer.id, organizationId)));
  };

  app.get('/api/v1/roles/', { schema: { tags, summary: 'Roles the caller may grant' } }, visibleRoles);

  app.get('/api/v1/roles/:id/', { schema: { tags, summary: 'A role', params: Type.Object({ id: Type.String() }) } }, async (request) => {
    const id = pathId((request.params as { id: string }).id);
    const role = (await visibleRoles(request)).find((candidate) => candidate.id === id);
    if (!role) throw errors.notFound();
    return role;
  });
}
