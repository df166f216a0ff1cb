import { errors } from '../errors.ts';
import type { Tenant, TenantDirectory } from './directory.ts';

/** What the resolvers may look at, taken from the request. */
export interface TenantRequest {
  /** The `Organization` header; `undefined` when absent. */
  organization: string | undefined;
  /** The `Host` header, lowercased, with port. */
  host: string | undefined;
  /** A `host/segment` domain matched (and stripped) while rewriting the URL. */
  pathDomain: string | undefined;
}

/**
 * One link of the resolution chain: a tenant when it decides, `undefined`
 * to pass to the next link. Throwing refuses the request.
 */
export type TenantResolver = (request: TenantRequest, directory: TenantDirectory) => Promise<Tenant | undefined> | Tenant | undefined;

/**
 * The `Organization` header (the web client's way): a live organization's
 * shortcode. Empty means the personal workspace. A shortcode naming no live
 * organization is refused with 404 rather than served from another schema.
 */
export const organizationHeader: TenantResolver = async (request, directory) => {
  if (request.organization === undefined) return undefined;
  const shortcode = request.organization.trim();
  if (shortcode === '') return directory.publicTenant;
  const tenant = await directory.byShortcode(shortcode);
  if (!tenant) throw errors.organizationNotFound();
  return tenant;
};

/** A `host/segment` domain, then the bare host, matched against Domain rows. */
export const domain: TenantResolver = (request, directory) =>
  (request.pathDomain && directory.byDomain(request.pathDomain)) ||
  (request.host !== undefined ? (directory.byDomain(request.host) ?? directory.byDomain(withoutPort(request.host))) : undefined);

/** Everything else belongs to the public tenant. */
export const publicTenant: TenantResolver = (_request, directory) => directory.publicTenant;

export const DEFAULT_RESOLVERS: readonly TenantResolver[] = Object.freeze([organizationHeader, domain, publicTenant]);

/** Runs the chain; the first resolver that answers wins. */
export async function resolveTenant(
  request: TenantRequest,
  directory: TenantDirectory,
  resolvers: readonly TenantResolver[] = DEFAULT_RESOLVERS,
): Promise<Tenant> {
  await directory.settled();
  for (const resolver of resolvers) {
    const tenant = await resolver(request, directory);
    if (tenant) return tenant;
  }
  return directory.publicTenant;
}

function withoutPort(host: string): string {
  return host.replace(/:\d+$/, '');
}
