import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../errors.ts';
import { requireUser, type CurrentUser } from './current-user.ts';
import { roleInOrganization } from './memberships.ts';
import { organizationJson, type OrganizationRow } from './organization-json.ts';
import { canRenameOrganization, isAdminRole } from './permissions.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { bodyOf, documentedFields, isPlainObject, pathId, textField } from './request-input.ts';
import { configWithSettings, refuseOtherSettingMethods } from './settings-routes.ts';

const IdParams = Type.Object({ id: Type.String() });
const tags = ['organizations'];

/**
 * `/api/v1/organizations/`: superusers list, create, rename and delete; an
 * organization's admins (and superusers) read it and change its config and
 * settings.
 * Creating goes through the tenancy registry, which provisions the schema in
 * the same transaction as the row.
 */
export async function organizationRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db, tenancy } = deps.context;

  const findLive = (id: number) =>
    db.selectFrom('public.organization').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();

  const requireSuperuser = (request: FastifyRequest): CurrentUser => {
    const viewer = requireUser(request);
    if (!viewer.isSuperuser) throw errors.permissionDenied();
    return viewer;
  };

  /** The organization at `:id` for a superuser or one of its admins. */
  const administered = async (request: FastifyRequest): Promise<OrganizationRow> => {
    const viewer = requireUser(request);
    const id = pathId((request.params as { id: string }).id);
    if (!viewer.isSuperuser && !isAdminRole(await roleInOrganization(db, viewer.id, id))) throw errors.permissionDenied();
    const organization = await findLive(id);
    if (!organization) throw errors.notFound();
    return organization;
  };

  /** Applies `changes` through the tenancy registry (the one place organization edits are validated and announced). */
  const save = async (organization: OrganizationRow, changes: Parameters<typeof tenancy.organizations.update>[1]): Promise<OrganizationRow> => {
    await tenancy.organizations.update(organization.shortcode, changes);
    return (await findLive(organization.id))!;
  };

  app.get('/api/v1/organizations/', { schema: { tags, summary: 'List organizations (superusers only)' } }, async (request) => {
    requireSuperuser(request);
    const rows = await db.selectFrom('public.organization').selectAll().where('deleted_at', 'is', null).orderBy('id').execute();
    return rows.map((row) => organizationJson(row, true));
  });

  app.post(
    '/api/v1/organizations/',
    {
      schema: {
        tags,
        summary: 'Create an organization and its schema (superusers only)',
        body: documentedFields({ name: 'display name', shortcode: 'unique code (the Organization header)' }),
      },
    },
    async (request, reply) => {
      requireSuperuser(request);
      const body = bodyOf(request);
      const name = textField(body, 'name');
      const shortcode = textField(body, 'shortcode');
      const missing = Object.fromEntries(
        Object.entries({ name, shortcode })
          .filter(([, value]) => value === undefined)
          .map(([field]) => [field, ['This field is required.']]),
      );
      if (Object.keys(missing).length > 0) throw errors.validation(missing);
      const config = body.config === undefined || body.config === null ? null : configOf(body.config);
      const created = await tenancy.organizations.create({ name: name!, shortcode: shortcode!, config });
      return reply.status(201).send(organizationJson((await findLive(created.id))!, true));
    },
  );

  app.get('/api/v1/organizations/:id/', { schema: { tags, summary: 'An organization', params: IdParams } }, async (request) =>
    organizationJson(await administered(request), true),
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/v1/organizations/:id/',
      schema: { tags, summary: 'Change an organization (config: its admins; name and shortcode: superusers only)', params: IdParams },
      handler: async (request) => {
        const organization = await administered(request);
        const body = bodyOf(request);
        const name = textField(body, 'name');
        const shortcode = textField(body, 'shortcode');
        // The reference's rule: a shortcode change re-routes every client link and SSO embed.
        if (!canRenameOrganization(requireUser(request), organization, { name, shortcode })) throw errors.permissionDenied();
        const config = 'config' in body ? (body.config === null ? null : configOf(body.config)) : undefined;
        return organizationJson(await save(organization, { name, shortcode, config }), true);
      },
    });
  }

  app.delete(
    '/api/v1/organizations/:id/',
    { schema: { tags, summary: 'Soft-delete an organization (superusers only)', params: IdParams } },
    async (request, reply) => {
      requireSuperuser(request);
      const organization = await findLive(pathId((request.params as { id: string }).id));
      if (!organization) throw errors.notFound();
      await tenancy.organizations.delete(organization.shortcode);
      return reply.status(204).send();
    },
  );

  app.patch(
    '/api/v1/organizations/:id/setting/',
    { schema: { tags, summary: "Replace an organization's settings (its admins and superusers)", params: IdParams } },
    async (request) => {
      const organization = await administered(request);
            return (await save(organization, { config: configWithSettings(organization.config, request) })).config;
    },
  );
  refuseOtherSettingMethods(app, '/api/v1/organizations/:id/setting/');
}

function configOf(value: unknown): Record<string, unknown> {
  if (!isPlainObject(value)) throw errors.validation({ config: ['Config should be a dictionary'] });
  return value;
}
