import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.ts';
import type { Tenant, TenantDirectory } from '../tenancy/directory.ts';
import { resolveTenant, type TenantResolver } from '../tenancy/resolver.ts';
import { TenantScope } from '../tenancy/tenant-scope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant this request was resolved to. */
    tenant: Tenant;
    /** Queries against the tenant's schema. */
    scope: TenantScope;
  }
}

/** Routes that answer before (and without) a tenant: probes, metrics, the operator console, the API document. */
const TENANTLESS = /^\/(health|ready|metrics|console)(\/|$)|^\/api\/v1\/docs(\/|$)/;

/** `host/segment` domains matched while rewriting, by raw request. */
const pathDomains = new WeakMap<IncomingMessage, string>();

/**
 * Fastify's `rewriteUrl`: when `host/first-segment` is a known domain
 * (`plio.in/avantifellows`), the segment is stripped before routing and the
 * match remembered for the resolver. Must be synchronous, hence the
 * in-memory directory.
 */
export function pathDomainRewriter(directory: () => TenantDirectory | undefined) {
  return (req: IncomingMessage): string => {
    const url = req.url ?? '/';
    const host = req.headers.host?.toLowerCase();
    const segment = /^\/([^/?#]+)/.exec(url)?.[1];
    if (!host || !segment) return url;
    const candidates = [`${host}/${segment}`, `${host.replace(/:\d+$/, '')}/${segment}`.toLowerCase()];
    const matched = candidates.find((domain) => directory()?.byDomain(domain));
    if (!matched) return url;
    pathDomains.set(req, matched);
    return url.slice(segment.length + 1) || '/';
  };
}

/** Resolves every request's tenant once, before its handler runs. */
export function installTenantResolution(
  app: FastifyInstance,
  database: Pick<Database, 'forSchema'>,
  directory: TenantDirectory,
  resolvers?: readonly TenantResolver[],
): void {
  app.decorateRequest('tenant', null as unknown as Tenant);
  app.decorateRequest('scope', null as unknown as TenantScope);
  app.addHook('onRequest', async (request) => {
    if (TENANTLESS.test(request.url)) return;
    const header = request.headers.organization;
    const tenant = await resolveTenant(
      {
        organization: Array.isArray(header) ? header[0] : header,
        host: request.headers.host?.toLowerCase(),
        pathDomain: pathDomains.get(request.raw),
      },
      directory,
      resolvers,
    );
    request.tenant = tenant;
    request.scope = new TenantScope(database, tenant);
    request.log = request.log.child({ tenant: tenant.schema });
  });
}
