import type { CurrentUser } from './current-user.ts';
import type { RoleName } from './memberships.ts';

/**
 * The reference's account rules, in one place.
 *
 * Organization roles form a ladder: a `super-admin` of an organization may
 * grant (and manage members holding) `org-admin` and `org-view`; an
 * `org-admin` only `org-view`; an `org-view` member nothing. Nobody but a
 * superuser grants `super-admin`. `/roles/` shows exactly the grantable roles.
 */
const GRANTABLE: Readonly<Record<RoleName, readonly RoleName[]>> = Object.freeze({
  'super-admin': Object.freeze(['org-admin', 'org-view'] as const),
  'org-admin': Object.freeze(['org-view'] as const),
  'org-view': Object.freeze([] as const),
});

/** The roles a member holding `role` may grant or manage in that organization. */
export function grantableRoles(role: RoleName | undefined): readonly RoleName[] {
  return role ? GRANTABLE[role] : [];
}

/** Whether a member holding `actorRole` may give (or take away) `targetRole`. */
export function canGrant(actorRole: RoleName | undefined, targetRole: RoleName): boolean {
  return grantableRoles(actorRole).includes(targetRole);
}

/** Admins of an organization: they see its members, its settings and its api_key. */
export function isAdminRole(role: RoleName | undefined): boolean {
  return role === 'super-admin' || role === 'org-admin';
}

/** An organization's api_key is shown to superusers and that organization's admins only (SPEC section 8). */
export function canSeeApiKey(viewer: CurrentUser | null, viewerRole: RoleName | undefined): boolean {
  return viewer !== null && (viewer.isSuperuser || isAdminRole(viewerRole));
}

/** Users see and change themselves; superusers see and change anyone. */
export function canAccessUser(viewer: CurrentUser, userId: number): boolean {
  return viewer.isSuperuser || viewer.id === userId;
}

/**
 * An organization's name and shortcode are changed by superusers only (the
 * reference's rule; a shortcode is in every client link and SSO embed). A
 * body that repeats the current values changes nothing, so the organization's
 * admins may send the whole organization back with a new config.
 */
export function canRenameOrganization(
  viewer: CurrentUser,
  organization: { name: string; shortcode: string },
  requested: { name: string | undefined; shortcode: string | undefined },
): boolean {
  if (viewer.isSuperuser) return true;
  const renames = requested.name !== undefined && requested.name.trim() !== organization.name;
  const recodes = requested.shortcode !== undefined && requested.shortcode !== organization.shortcode;
  return !renames && !recodes;
}
