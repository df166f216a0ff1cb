import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { credentialsChanged } from '../../../src/accounts/credential-cache.ts';
import type { RoleName } from '../../../src/accounts/memberships.ts';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';

/**
 * users/tests.py OrganizationUserTestCase (the role-grant matrix),
 * tests/integration/org/test_membership_lifecycle.py and the /roles/ rules.
 * The reference test that created two memberships for one user in one
 * organization now uses two users: memberships are unique (SPEC section 8).
 */
describe('organization users and roles', () => {
  let app: TestApp;
  let org1: Organization;
  let org2: Organization;
  let roles: Record<RoleName, number>;
  let user: TestUser;
  let user2: TestUser;
  let user3: TestUser;
  let superuser: TestUser;

  before(async () => {
    app = await startApp();
    org1 = await app.context.tenancy.organizations.create({ name: 'Org 1', shortcode: 'org-1' });
    org2 = await app.context.tenancy.organizations.create({ name: 'Org 2', shortcode: 'org-2' });
    const rows = await app.context.db.selectFrom('public.role').select(['id', 'name']).execute();
    roles = Object.fromEntries(rows.map((row) => [row.name, row.id])) as Record<RoleName, number>;
    superuser = await createUser(app, { isSuperuser: true });
  });
  after(() => app.close());

  /** Fresh users per case; `user` is an org-view member of both organizations, as the reference's setUp. */
  beforeEach(async () => {
    user = await createUser(app);
    user2 = await createUser(app);
    user3 = await createUser(app);
    await addMembership(app, user.id, org1.id, 'org-view');
    await addMembership(app, user.id, org2.id, 'org-view');
  });

  const membershipOf = async (userId: number, organizationId: number) =>
    app.context.db
      .selectFrom('public.organization_user')
      .select('id')
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirstOrThrow();
  const setRole = async (userId: number, organizationId: number, role: RoleName) => {
    await app.context.db
      .updateTable('public.organization_user')
      .set({ role_id: roles[role] })
      .where('user_id', '=', userId)
      .where('organization_id', '=', organizationId)
      .execute();
    await credentialsChanged(app.context.db, [userId]);
  };
  const post = (as: TestUser, payload: Record<string, unknown>) =>
    app.request({ method: 'POST', url: '/api/v1/organization-users/', headers: as.headers(), payload });
  const put = (as: TestUser, id: number, payload: Record<string, unknown>) =>
    app.request({ method: 'PUT', url: `/api/v1/organization-users/${id}/`, headers: as.headers(), payload });
  const list = (as: TestUser, query = '', organization?: string) =>
    app.request({ method: 'GET', url: `/api/v1/organization-users/${query}`, headers: as.headers(organization) });
  const grant = (as: TestUser, target: TestUser, role: RoleName, organization = org1) =>
    post(as, { user: target.id, organization: organization.id, role: roles[role] });

  describe('listing', () => {
    it('a superuser lists every membership, or one organization with ?organization= or the header', async () => {
      const all = (await list(superuser)).json() as { user: number; organization: number }[];
      assert.ok(all.some((m) => m.user === user.id && m.organization === org1.id));
      assert.ok(all.some((m) => m.user === user.id && m.organization === org2.id));
      const byQuery = (await list(superuser, `?organization=${org2.id}`)).json() as { organization: number }[];
      assert.ok(byQuery.length > 0 && byQuery.every((m) => m.organization === org2.id));
      const byHeader = (await list(superuser, '', 'org-2')).json() as { organization: number }[];
      assert.ok(byHeader.length > 0 && byHeader.every((m) => m.organization === org2.id));
      assert.deepEqual(Object.keys(all[0]!).sort(), ['id', 'is_owner', 'organization', 'role', 'user', 'user_details']);
    });

    it("rows carry the member's user_details, so the client's Members page needs no superuser-only user calls", async () => {
      await app.context.db
        .updateTable('public.user')
        .set({ first_name: 'Asha', last_name: 'Rao', mobile: '+919876543210', avatar_url: 'https://example.org/a.png' })
        .where('id', '=', user.id)
        .execute();
      await addMembership(app, user2.id, org1.id, 'org-admin');
      const listed = (await list(user2, `?organization=${org1.id}`)).json() as { user: number; user_details: Record<string, unknown> }[];
      const row = listed.find((m) => m.user === user.id)!;
      const email = (await app.context.db.selectFrom('public.user').select('email').where('id', '=', user.id).executeTakeFirstOrThrow()).email;
      assert.deepEqual(row.user_details, {
        id: user.id,
        first_name: 'Asha',
        last_name: 'Rao',
        email,
        mobile: '+919876543210',
        avatar_url: 'https://example.org/a.png',
        status: 'approved',
      });
      const id = (await membershipOf(user.id, org1.id)).id;
      const one = await app.request({ method: 'GET', url: `/api/v1/organization-users/${id}/`, headers: user2.headers() });
      assert.deepEqual(one.json().user_details, row.user_details);
    });

    it('a member who is not an admin sees an empty list', async () => {
      const response = await list(user);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), []);
    });

    it("an org-admin lists only their organization's members", async () => {
      await addMembership(app, user2.id, org1.id, 'org-admin');
      const listed = (await list(user2)).json() as { user: number; organization: number }[];
      assert.ok(listed.length >= 2);
      assert.ok(listed.every((m) => m.organization === org1.id));
      assert.ok(listed.some((m) => m.user === user.id) && listed.some((m) => m.user === user2.id));
      assert.deepEqual((await list(user2, `?organization=${org2.id}`)).json(), []);
      assert.deepEqual((await list(user2, '', 'org-2')).json(), []);
    });

    it('hides a membership from those who may not see it', async () => {
      const id = (await membershipOf(user.id, org1.id)).id;
      assert.equal((await app.request({ method: 'GET', url: `/api/v1/organization-users/${id}/`, headers: user2.headers() })).statusCode, 404);
      assert.equal((await app.request({ method: 'GET', url: `/api/v1/organization-users/${id}/`, headers: superuser.headers() })).statusCode, 200);
    });
  });

  describe('creating (the grant matrix)', () => {
    it('a normal member cannot add members', async () => {
      assert.equal((await grant(user, user2, 'org-view')).statusCode, 403);
    });

    it('a superuser can', async () => {
      const response = await grant(superuser, user2, 'org-view');
      assert.equal(response.statusCode, 201);
      assert.deepEqual(response.json(), { id: response.json().id, user: user2.id, organization: org1.id, role: roles['org-view'], is_owner: false });
    });

    it('without a role there is nothing to grant', async () => {
      assert.equal((await post(user, { user: user2.id, organization: org1.id })).statusCode, 403);
    });

    it('an org super-admin cannot create another super-admin, but can add org-admins and org-views', async () => {
      await setRole(user.id, org1.id, 'super-admin');
      assert.equal((await grant(user, user2, 'super-admin')).statusCode, 403);
      assert.equal((await grant(user, user2, 'org-view')).statusCode, 201);
      assert.equal((await grant(user, user3, 'org-admin')).statusCode, 201);
    });

    it('an org-admin cannot add super-admins or org-admins, but can add org-views', async () => {
      await setRole(user.id, org1.id, 'org-admin');
      assert.equal((await grant(user, user2, 'super-admin')).statusCode, 403);
      assert.equal((await grant(user, user2, 'org-admin')).statusCode, 403);
      assert.equal((await grant(user, user2, 'org-view')).statusCode, 201);
    });

    it('an org-view member cannot add anyone', async () => {
      for (const role of ['org-view', 'super-admin', 'org-admin'] as const) assert.equal((await grant(user, user2, role)).statusCode, 403);
    });

    it("an admin of one organization grants nothing in another", async () => {
      await setRole(user.id, org1.id, 'super-admin');
      assert.equal((await grant(user, user2, 'org-view', org2)).statusCode, 403);
    });

    it('a second membership of the same user in the same organization is a clear 400', async () => {
      assert.equal((await grant(superuser, user2, 'org-view')).statusCode, 201);
      const again = await grant(superuser, user2, 'org-admin');
      assert.equal(again.statusCode, 400);
      assert.deepEqual(again.json(), { non_field_errors: ['The fields user, organization must make a unique set.'] });
    });

    it('unknown users, organizations or roles and malformed ids are 400s', async () => {
      assert.equal((await post(superuser, { user: 999999, organization: org1.id, role: roles['org-view'] })).statusCode, 400);
      assert.equal((await post(superuser, { user: user2.id, organization: org1.id, role: 999 })).statusCode, 400);
      assert.equal((await post(superuser, { user: 'abc', organization: org1.id, role: roles['org-view'] })).statusCode, 400);
      assert.equal((await post(superuser, { organization: org1.id })).statusCode, 400);
    });
  });

  describe('updating', () => {
    const whole = (target: TestUser, role: RoleName) => ({ user: target.id, organization: org1.id, role: roles[role] });

    it('a superuser can update any membership', async () => {
      await addMembership(app, user2.id, org1.id, 'org-view');
      const id = (await membershipOf(user2.id, org1.id)).id;
      assert.equal((await put(superuser, id, whole(user2, 'org-admin'))).statusCode, 200);
    });

    it('a super-admin cannot update a super-admin', async () => {
      await setRole(user.id, org1.id, 'super-admin');
      await addMembership(app, user2.id, org1.id, 'super-admin');
      const id = (await membershipOf(user2.id, org1.id)).id;
      assert.equal((await put(user, id, whole(user2, 'org-admin'))).statusCode, 403);
      assert.equal((await put(user, id, whole(user2, 'org-view'))).statusCode, 403);
    });

    it('a super-admin can move members between org-admin and org-view', async () => {
      await setRole(user.id, org1.id, 'super-admin');
      await addMembership(app, user2.id, org1.id, 'org-view');
      await addMembership(app, user3.id, org1.id, 'org-admin');
      const viewer = (await membershipOf(user2.id, org1.id)).id;
      const admin = (await membershipOf(user3.id, org1.id)).id;
      assert.equal((await put(user, viewer, whole(user2, 'org-admin'))).statusCode, 200);
      assert.equal((await put(user, admin, whole(user3, 'org-view'))).statusCode, 200);
    });

    it('a super-admin cannot promote anyone to super-admin', async () => {
      await setRole(user.id, org1.id, 'super-admin');
      await addMembership(app, user2.id, org1.id, 'org-view');
      await addMembership(app, user3.id, org1.id, 'org-admin');
      assert.equal((await put(user, (await membershipOf(user2.id, org1.id)).id, whole(user2, 'super-admin'))).statusCode, 403);
      assert.equal((await put(user, (await membershipOf(user3.id, org1.id)).id, whole(user3, 'super-admin'))).statusCode, 403);
    });

    it('an org-admin cannot update super-admins or org-admins', async () => {
      await setRole(user.id, org1.id, 'org-admin');
      await addMembership(app, user2.id, org1.id, 'super-admin');
      await addMembership(app, user3.id, org1.id, 'org-admin');
      const superAdmin = (await membershipOf(user2.id, org1.id)).id;
      const orgAdmin = (await membershipOf(user3.id, org1.id)).id;
      assert.equal((await put(user, superAdmin, whole(user2, 'org-admin'))).statusCode, 403);
      assert.equal((await put(user, superAdmin, whole(user2, 'org-view'))).statusCode, 403);
      assert.equal((await put(user, orgAdmin, whole(user3, 'super-admin'))).statusCode, 403);
      assert.equal((await put(user, orgAdmin, whole(user3, 'org-view'))).statusCode, 403);
    });

    it('an org-admin cannot promote an org-view member', async () => {
      await setRole(user.id, org1.id, 'org-admin');
      await addMembership(app, user2.id, org1.id, 'org-view');
      assert.equal((await put(user, (await membershipOf(user2.id, org1.id)).id, whole(user2, 'org-admin'))).statusCode, 403);
    });

    it('an org-view member cannot promote themselves', async () => {
      const own = (await membershipOf(user.id, org1.id)).id;
      assert.equal((await put(user, own, whole(user, 'org-admin'))).statusCode, 403);
      assert.equal((await put(user, own, whole(user, 'super-admin'))).statusCode, 403);
    });
  });

  describe('deleting', () => {
    it('an org-admin removes org-view members but not org-admins; a superuser removes anyone', async () => {
      await setRole(user.id, org1.id, 'org-admin');
      await addMembership(app, user2.id, org1.id, 'org-view');
      await addMembership(app, user3.id, org1.id, 'org-admin');
      const remove = (as: TestUser, id: number) => app.request({ method: 'DELETE', url: `/api/v1/organization-users/${id}/`, headers: as.headers() });
      assert.equal((await remove(user, (await membershipOf(user3.id, org1.id)).id)).statusCode, 403);
      assert.equal((await remove(user, (await membershipOf(user2.id, org1.id)).id)).statusCode, 204);
      assert.equal((await remove(superuser, (await membershipOf(user3.id, org1.id)).id)).statusCode, 204);
      assert.equal((await remove(superuser, 999999)).statusCode, 404);
    });
  });

  describe('roles', () => {
    const visible = async (as: TestUser, organization?: string) =>
      ((await app.request({ method: 'GET', url: '/api/v1/roles/', headers: as.headers(organization) })).json() as { name: string }[]).map((r) => r.name);

    it('a superuser sees every role', async () => {
      assert.deepEqual(await visible(superuser), ['super-admin', 'org-admin', 'org-view']);
    });

    it('a member sees the roles they may grant in the organization of the header, nothing without one', async () => {
      assert.deepEqual(await visible(user, 'org-1'), []);
      await setRole(user.id, org1.id, 'org-admin');
      assert.deepEqual(await visible(user, 'org-1'), ['org-view']);
      await setRole(user.id, org1.id, 'super-admin');
      assert.deepEqual(await visible(user, 'org-1'), ['org-admin', 'org-view']);
      assert.deepEqual(await visible(user), []);
      assert.deepEqual(await visible(user2, 'org-1'), []);
    });

    it('a role outside what the caller may see is 404', async () => {
      const response = await app.request({ method: 'GET', url: `/api/v1/roles/${roles['super-admin']}/`, headers: user.headers('org-1') });
      assert.equal(response.statusCode, 404);
      const mine = await app.request({ method: 'GET', url: `/api/v1/roles/${roles['org-view']}/`, headers: superuser.headers() });
      assert.deepEqual(Object.keys(mine.json()).sort(), ['created_at', 'id', 'name', 'updated_at']);
    });
  });

  it('membership lifecycle: add, promote, remove flip what the member may do', async () => {
    const candidate = await createUser(app);
    const assignable = async () =>
      ((await app.request({ method: 'GET', url: '/api/v1/roles/', headers: candidate.headers('org-2') })).json() as { name: string }[]).map((r) => r.name);
    const orgUsers = async () => (await list(candidate, '', 'org-2')).json() as unknown[];

    const added = await post(superuser, { user: candidate.id, organization: org2.id, role: roles['org-view'] });
    assert.equal(added.statusCode, 201);
    const membershipId = added.json().id as number;
    assert.deepEqual(await assignable(), []);
    assert.deepEqual(await orgUsers(), []);

    const promoted = await app.request({
      method: 'PATCH',
      url: `/api/v1/organization-users/${membershipId}/`,
      headers: superuser.headers(),
      payload: { role: roles['org-admin'] },
    });
    assert.equal(promoted.statusCode, 200);
    assert.equal(promoted.json().role, roles['org-admin']);
    assert.deepEqual(await assignable(), ['org-view']);
    assert.ok((await orgUsers()).length > 0);

    const removed = await app.request({ method: 'DELETE', url: `/api/v1/organization-users/${membershipId}/`, headers: superuser.headers() });
    assert.equal(removed.statusCode, 204);
    assert.deepEqual(await assignable(), []);
    const me = (await app.request({ method: 'GET', url: `/api/v1/users/${candidate.id}/`, headers: candidate.headers() })).json();
    assert.deepEqual(me.organizations, []);
  });
});
