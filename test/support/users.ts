import { issueTokens } from '../../src/accounts/tokens.ts';
import { createMembership } from '../../src/accounts/membership-writes.ts';
import type { RoleName } from '../../src/accounts/memberships.ts';
import type { TestApp } from './app.ts';

export interface TestUser {
  id: number;
  accessToken: string;
  refreshToken: string;
  /** `Authorization` header, plus `Organization` when given. */
  headers(organization?: string): Record<string, string>;
}

let counter = 0;

/** Creates a user directly and signs them in (tokens as a login would issue them). */
export async function createUser(
  app: TestApp,
  fields: { email?: string; mobile?: string; isSuperuser?: boolean; firstName?: string; lastName?: string } = {},
): Promise<TestUser> {
  const db = app.context.db;
  const user = await db
    .insertInto('public.user')
    .values({
      email: fields.email ?? `user${++counter}-${Date.now()}@example.org`,
      mobile: fields.mobile ?? null,
      is_superuser: fields.isSuperuser ?? false,
      first_name: fields.firstName ?? '',
      last_name: fields.lastName ?? '',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const tokens = await issueTokens(db, app.context.secretKey, user.id, null);
  return {
    id: user.id,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    headers: (organization) => ({
      authorization: `Bearer ${tokens.access_token}`,
      ...(organization === undefined ? {} : { organization }),
    }),
  };
}

/** Makes `user` a member of the organization with `role` (as the API does: signed-in sessions see it at once). */
export async function addMembership(app: TestApp, userId: number, organizationId: number, role: RoleName): Promise<void> {
  const db = app.context.db;
  const roleRow = await db.selectFrom('public.role').select('id').where('name', '=', role).executeTakeFirst();
  const roleId =
    roleRow?.id ?? (await db.insertInto('public.role').values({ name: role }).returning('id').executeTakeFirstOrThrow()).id;
  await createMembership(db, { user: userId, organization: organizationId, role: roleId });
}
