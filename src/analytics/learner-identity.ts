import type { FastifyRequest } from 'fastify';
import { sql, type RawBuilder } from 'kysely';
import { requireUser } from '../accounts/current-user.ts';
import { workspaceRole } from '../accounts/memberships.ts';

/**
 * Whether the report may name learners (email, mobile or SSO id): only to
 * the organization's super-admins and org-admins, in its own workspace. In the
 * personal workspace, and for everyone else, learners are pseudonymous.
 */
export async function showsLearnerIdentities(request: FastifyRequest): Promise<boolean> {
  requireUser(request);
  const role = await workspaceRole(request, request.scope.db);
  return role === 'super-admin' || role === 'org-admin';
}

/**
 * The `user_identifier` column, for a query that joins the session as `s` and
 * `public.user` as `u`: the first of email, mobile and SSO id, or, masked, the
 * MD5 of the user id (stable across plios, so trends stay traceable).
 */
export function userIdentifier(unmasked: boolean): RawBuilder<string> {
  return unmasked ? sql<string>`coalesce(u.email, u.mobile, u.unique_id)` : sql<string>`md5(s.user_id::text)`;
}

/** The `has_user_logged_in_via_sso` column (`'true'`/`'false'`), for a query that joins `public.user` as `u`. */
export const loggedInViaSso: RawBuilder<'true' | 'false'> = sql<'true' | 'false'>`case when u.unique_id is not null and u.auth_org_id is not null then 'true' else 'false' end`;
