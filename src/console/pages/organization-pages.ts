import type { FastifyInstance, FastifyRequest } from 'fastify';
import { listMemberships } from '../../accounts/memberships.ts';
import { createMembership, deleteMembership, updateMembership } from '../../accounts/membership-writes.ts';
import { findRole, listRoles } from '../../accounts/roles.ts';
import { userByEmailOrPhone } from '../../accounts/user-admin.ts';
import { liveUsers } from '../../accounts/users.ts';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { createImageStorage } from '../../content/image-storage.ts';
import { errors } from '../../errors.ts';
import { migrations } from '../../migrations/index.ts';
import { exportOrganization, type PortabilityContext } from '../../portability/export.ts';
import { importOrganization } from '../../portability/import.ts';
import { listOrganizationPage } from '../../tenancy/organization-page.ts';
import { PUBLIC_SCHEMA } from '../../tenancy/schema-name.ts';
import { acceptArchiveUploads, ARCHIVE_UPLOAD_MAX_BYTES, uploadedArchive } from '../archive-upload.ts';
import { act, field, pathNumber, type ConsoleDeps } from '../feature.ts';
import { CONSOLE_PATH } from '../session.ts';
import { renderFragment, renderPage } from '../views.ts';

const ORGANIZATIONS = `${CONSOLE_PATH}/organizations`;
const PAGE_SIZE = 25;

/**
 * Organizations: the paginated, searchable list, creation, and one
 * organization's page with its domains, members, settings, rename, clone,
 * export, import and deletion.
 */
export async function organizationPages(scope: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const { db, tenancy } = deps.context;
  const pageOf = (shortcode: string) => `${ORGANIZATIONS}/${encodeURIComponent(shortcode)}`;
  const shortcodeOf = (request: FastifyRequest) => (request.params as { shortcode: string }).shortcode;

  scope.get('/organizations', async (request, reply) => {
    const query = request.query as { q?: string; page?: string };
    const search = typeof query.q === 'string' ? query.q : '';
    const page = Number.parseInt(query.page ?? '1', 10) || 1;
    const listing = await listOrganizationPage(db, { search, page, pageSize: PAGE_SIZE });
    const data = { listing, search, latestVersion: tenancy.migrator.tenantVersion };
    // htmx asks for the table alone while the operator types a search.
    if (request.headers['hx-request'] === 'true' && request.headers['hx-target'] === 'organization-table') {
      return renderFragment(reply, 'organization-table', data);
    }
    return renderPage(request, reply, 'organizations', { title: 'Organizations', section: 'organizations', ...data });
  });

  scope.post('/organizations', async (request, reply) => {
    const shortcode = field(request, 'shortcode');
    const domain = field(request, 'domain');
    return act(reply, ORGANIZATIONS, async () => {
      const organization = await tenancy.organizations.create({ name: field(request, 'name'), shortcode, ...(domain ? { domain } : {}) });
      return {
        text: `Created ${organization.name} (${organization.shortcode}) with schema ${organization.schemaName}${domain ? ` and domain ${domain}` : ''}.`,
        to: pageOf(organization.shortcode),
      };
    });
  });

  scope.get('/organizations/:shortcode', async (request, reply) => {
    const organization = await tenancy.organizations.get(shortcodeOf(request));
    const [domains, memberships, roles] = await Promise.all([
      tenancy.domains.list(organization),
      listMemberships(db, [organization.id]),
      listRoles(db),
    ]);
    const users = memberships.length
      ? await liveUsers(db).where('id', 'in', memberships.map((m) => m.user)).execute()
      : [];
    const userById = new Map(users.map((user) => [user.id, user]));
    const roleById = new Map(roles.map((role) => [role.id, role.name]));
    const members = memberships.map((membership) => ({
      ...membership,
      user: userById.get(membership.user),
      roleName: roleById.get(membership.role) ?? '?',
    }));
    return renderPage(request, reply, 'organization', {
      title: organization.name,
      section: 'organizations',
      organization,
      isPublic: organization.schemaName === PUBLIC_SCHEMA,
      latestVersion: tenancy.migrator.tenantVersion,
      domains,
      members,
      roles,
      config: JSON.stringify(organization.config ?? {}, null, 2),
      importMaxMiB: ARCHIVE_UPLOAD_MAX_BYTES / (1024 * 1024),
    });
  });

  const portability: PortabilityContext = { database: deps.context.database, storage: createImageStorage(deps.context.config), migrations };

  /** The organization's archive (docs/export.md), streamed as it is written. */
  scope.get('/organizations/:shortcode/export', async (request, reply) => {
    const shortcode = shortcodeOf(request);
    const out = new PassThrough();
    const exporting = exportOrganization(portability, shortcode, out);
    // Until the first byte, a refusal (unknown shortcode, the personal
    // workspace) is still a page in words; after it, the download is cut,
    // never left looking complete.
    await Promise.race([once(out, 'readable'), exporting]);
    exporting.catch((error: unknown) => {
      request.log.error({ err: error }, 'console export failed');
      out.destroy(error as Error);
    });
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .header('content-type', 'application/gzip')
      .header('content-disposition', `attachment; filename="${shortcode}-${day}.plio.tar.gz"`)
      .send(out);
  });

  /** An archive imported as a new organization, or replacing this one's data. */
  await scope.register(async (uploads) => {
    await acceptArchiveUploads(uploads);
    uploads.post('/organizations/:shortcode/import', async (request, reply) => {
      const here = shortcodeOf(request);
      return act(reply, pageOf(here), async () => {
        const archive = uploadedArchive(request);
        const replace = field(request, 'mode') === 'replace';
        const shortcode = field(request, 'shortcode');
        const name = field(request, 'name');
        const options = replace ? { shortcode: here, replace } : { ...(shortcode && { shortcode }), ...(name && { name }) };
        const result = await importOrganization(portability, () => createReadStream(archive), options);
        const { organization } = result;
        const skipped = result.skippedDomains.length ? ` Left out domain(s) used by another organization: ${result.skippedDomains.join(', ')}.` : '';
        const text = `${result.replaced ? 'Replaced the data of' : 'Imported'} ${organization.name} (${organization.shortcode}): ${result.rows} rows, ${result.media} media file(s), ${result.users.matched} member(s) matched and ${result.users.created} created.${skipped}`;
        return { text, to: pageOf(organization.shortcode) };
      });
    });
  });

  scope.post('/organizations/:shortcode/domains', async (request, reply) => {
    const shortcode = shortcodeOf(request);
    return act(reply, pageOf(shortcode), async () => {
      const domain = await tenancy.domains.create({ domain: field(request, 'domain'), tenant: shortcode, isPrimary: field(request, 'primary') === 'on' });
      return `Added ${domain.domain}${domain.isPrimary ? ' as the primary domain' : ''}.`;
    });
  });

  /** A domain of this organization (a domain id from another organization is not found here). */
  const ownDomain = async (request: FastifyRequest) => {
    const organization = await tenancy.organizations.get(shortcodeOf(request));
    const id = pathNumber((request.params as { id: string }).id);
    const domain = (await tenancy.domains.list(organization)).find((d) => d.id === id);
    if (!domain) throw errors.domainNotFound();
    return domain;
  };

  scope.post('/organizations/:shortcode/domains/:id/primary', async (request, reply) =>
    act(reply, pageOf(shortcodeOf(request)), async () => {
      const domain = await tenancy.domains.makePrimary((await ownDomain(request)).id);
      return `${domain.domain} is now the primary domain.`;
    }),
  );

  scope.post('/organizations/:shortcode/domains/:id/remove', async (request, reply) =>
    act(reply, pageOf(shortcodeOf(request)), async () => {
      const domain = await ownDomain(request);
      await tenancy.domains.remove(domain.id);
      return `Removed ${domain.domain}.`;
    }),
  );

  scope.post('/organizations/:shortcode/members', async (request, reply) => {
    const shortcode = shortcodeOf(request);
    return act(reply, pageOf(shortcode), async () => {
      const organization = await tenancy.organizations.get(shortcode);
      const role = await findRole(db, pathNumber(field(request, 'role')));
      if (!role) throw errors.validation({ role: ['Choose one of the roles.'] });
      const user = await userByEmailOrPhone(db, field(request, 'identity'), deps.context.config.phoneRegion);
      await createMembership(db, { user: user.id, organization: organization.id, role: role.id });
      await deps.events.publish(user.id);
      return `${user.email ?? user.mobile ?? `User ${user.id}`} is now ${role.name} of ${organization.name}.`;
    });
  });

  /** A membership of this organization. */
  const ownMembership = async (request: FastifyRequest) => {
    const organization = await tenancy.organizations.get(shortcodeOf(request));
    const id = pathNumber((request.params as { id: string }).id);
    const membership = (await listMemberships(db, [organization.id])).find((m) => m.id === id);
    if (!membership) throw errors.notFoundWith('That membership no longer exists.');
    return membership;
  };

  scope.post('/organizations/:shortcode/members/:id/role', async (request, reply) =>
    act(reply, pageOf(shortcodeOf(request)), async () => {
      const membership = await ownMembership(request);
      const role = await findRole(db, pathNumber(field(request, 'role')));
      if (!role) throw errors.validation({ role: ['Choose one of the roles.'] });
      await updateMembership(db, membership, { user: membership.user, organization: membership.organization, role: role.id });
      await deps.events.publish(membership.user);
      return `The member's role is now ${role.name}.`;
    }),
  );

  scope.post('/organizations/:shortcode/members/:id/remove', async (request, reply) =>
    act(reply, pageOf(shortcodeOf(request)), async () => {
      const membership = await ownMembership(request);
      await deleteMembership(db, membership);
      await deps.events.publish(membership.user);
      return 'The member was removed.';
    }),
  );

  scope.post('/organizations/:shortcode/rename', async (request, reply) => {
    const shortcode = shortcodeOf(request);
    return act(reply, pageOf(shortcode), async () => {
      const organization = await tenancy.organizations.rename(shortcode, field(request, 'name'));
      return `Renamed to ${organization.name}.`;
    });
  });

  scope.post('/organizations/:shortcode/settings', async (request, reply) => {
    const shortcode = shortcodeOf(request);
    return act(reply, pageOf(shortcode), async () => {
      await tenancy.organizations.setConfig(shortcode, parseConfig(field(request, 'config')));
      return 'Settings saved.';
    });
  });

  scope.post('/organizations/:shortcode/clone', async (request, reply) => {
    const source = shortcodeOf(request);
    return act(reply, pageOf(source), async () => {
      const organization = await tenancy.organizations.clone(source, { name: field(request, 'name'), shortcode: field(request, 'shortcode') });
      return { text: `Cloned into ${organization.name} (${organization.shortcode}), schema ${organization.schemaName}.`, to: pageOf(organization.shortcode) };
    });
  });

  scope.post('/organizations/:shortcode/delete', async (request, reply) => {
    const shortcode = shortcodeOf(request);
    const dropSchema = field(request, 'drop_schema') === 'on';
    return act(reply, pageOf(shortcode), async () => {
      if (field(request, 'confirm') !== shortcode) throw errors.consoleConfirmationMismatch(shortcode);
      const organization = await tenancy.organizations.delete(shortcode, { dropSchema });
      const text = dropSchema
        ? `Deleted ${organization.name} and dropped schema ${organization.schemaName} with its data.`
        : `Deleted ${organization.name}; its schema ${organization.schemaName} and data are kept.`;
      return { text, to: ORGANIZATIONS };
    });
  });
}

/** The settings form's JSON: an object, or empty for none. */
function parseConfig(text: string): Record<string, unknown> | null {
  if (text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw errors.validation({ config: [`Settings must be JSON: ${(error as Error).message}.`] });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.validation({ config: ['Settings must be a JSON object, like {"key": "value"}.'] });
  return value as Record<string, unknown>;
}
