import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { uniqueViolation } from '../db/db-errors.ts';
import type { RowUpdate } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { notifyTenancyChanged, tenancyEvents } from '../tenancy/events.ts';
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

  const save = async (organization: OrganizationRow, changes: RowUpdate<'public.organization'>): Promise<OrganizationRow> => {
    const saved = await db
      .transaction()
      .execute(async (trx) => {
        const row = await trx
          .updateTable('public.organization')
          .set({ ...changes, updated_at: new Date() })
          .where('id', '=', organization.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        // Name and shortcode live in every instance's tenant directory.
        await notifyTenancyChanged(trx);
        return row;
      })
      .catch((error: unknown) => {
        if (uniqueViolation(error) === 'organization_live_shortcode_key') throw errors.shortcodeTaken(String(changes.shortcode));
        throw error;
      });
    tenancyEvents.emit('changed');
    return saved;
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
        const changes: RowUpdate<'public.organization'> = {};
        const name = textField(body, 'name');
        const shortcode = textField(body, 'shortcode');
        // The reference's rule: a shortcode change re-routes every client link and SSO embed.
        if (!canRenameOrganization(requireUser(request), organization, { name, shortcode })) throw errors.permissionDenied();
        if (name !== undefined) {
          if (name.trim() === '' || name.length > 255) throw errors.invalidName('Enter a name of 1 to 255 characters.');
          changes.name = name.trim();
        }
        if (shortcode !== undefined) {
          if (!/^[A-Za-z0-9_-]{1,255}$/.test(shortcode)) throw errors.invalidShortcode(shortcode);
          changes.shortcode = shortcode;
        }
        if ('config' in body) changes.config = body.config === null ? null : JSON.stringify(configOf(body.config));
        return organizationJson(await save(organization, changes), true);
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
