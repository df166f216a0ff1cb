import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';

describe('users API (users/tests.py UserTestCase, tests/test_users_filters.py)', () => {
  let app: TestApp;
  let orgA: Organization;
  let orgB: Organization;
  let superuser: TestUser;
  let user: TestUser;
  let user2: TestUser;
  before(async () => {
    app = await startApp();
    orgA = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    orgB = await app.context.tenancy.organizations.create({ name: 'Org B', shortcode: 'org-b' });
    superuser = await createUser(app, { isSuperuser: true });
    user = await createUser(app, { mobile: '+919876543210' });
    user2 = await createUser(app);
  });
  after(() => app.close());

  const get = (as: TestUser, url: string, organization?: string) => app.request({ method: 'GET', url, headers: as.headers(organization) });
  const patch = (as: TestUser, url: string, payload: unknown) => app.request({ method: 'PATCH', url, headers: as.headers(), payload: payload as object });
  const listedIds = async (query: string) => {
    const response = await get(superuser, `/api/v1/users/${query}`);
    assert.equal(response.statusCode, 200);
    return new Set((response.json() as { id: number }[]).map((row) => row.id));
  };
  const newUser = (email?: string) => createUser(app, email ? { email } : {});

  describe('permissions and shape', () => {
    it('a general user cannot list users; a superuser can', async () => {
      assert.equal((await get(user, '/api/v1/users/')).statusCode, 403);
      assert.equal((await get(superuser, '/api/v1/users/')).statusCode, 200);
    });

    it('a user sees themselves, not others; a superuser sees anyone; unknown ids are 404', async () => {
      assert.equal((await get(user, `/api/v1/users/${user.id}/`)).statusCode, 200);
      assert.equal((await get(user, `/api/v1/users/${user2.id}/`)).statusCode, 403);
      assert.equal((await get(superuser, `/api/v1/users/${user2.id}/`)).statusCode, 200);
      assert.equal((await get(superuser, '/api/v1/users/999999/')).statusCode, 404);
      assert.equal((await get(superuser, '/api/v1/users/abc/')).statusCode, 404);
    });

    it('shows the reference fields, config as an object and organizations with the role', async () => {
      await addMembership(app, user.id, orgA.id, 'org-view');
      const body = (await get(user, `/api/v1/users/${user.id}/`)).json();
      for (const field of ['id', 'first_name', 'last_name', 'email', 'mobile', 'avatar_url', 'config', 'status', 'unique_id', 'auth_org', 'is_superuser', 'organizations']) {
        assert.ok(field in body, field);
      }
      assert.equal('password' in body, false);
      assert.deepEqual(body.config, {});
      assert.equal(body.status, 'approved');
      assert.equal(body.organizations.length, 1);
      assert.deepEqual(
        { id: body.organizations[0].id, shortcode: body.organizations[0].shortcode, role: body.organizations[0].role },
        { id: orgA.id, shortcode: 'org-a', role: 'org-view' },
      );
      assert.equal(body.organizations[0].schema_name, orgA.schemaName);
    });

    it("shows an organization's api_key only to its admins and to superusers", async () => {
      const viewer = await newUser();
      const admin = await newUser();
      await addMembership(app, viewer.id, orgB.id, 'org-view');
      await addMembership(app, admin.id, orgB.id, 'org-admin');
      const orgOf = async (as: TestUser, id: number) => (await get(as, `/api/v1/users/${id}/`)).json().organizations[0];
      assert.equal('api_key' in (await orgOf(viewer, viewer.id)), false);
      assert.equal((await orgOf(admin, admin.id)).api_key, orgB.apiKey);
      assert.equal((await orgOf(superuser, viewer.id)).api_key, orgB.apiKey);
    });

    it('a user changes their own names; is_superuser and status are not theirs to change', async () => {
      const changed = await patch(user, `/api/v1/users/${user.id}/`, { first_name: 'John', is_superuser: true, status: 'waitlist' });
      assert.equal(changed.statusCode, 200);
      assert.equal(changed.json().first_name, 'John');
      assert.equal(changed.json().is_superuser, false);
      assert.equal(changed.json().status, 'approved');
      assert.equal((await patch(user, `/api/v1/users/${user2.id}/`, { first_name: 'X' })).statusCode, 403);
      const bad = await patch(user, `/api/v1/users/${user.id}/`, { config: [1, 2] });
      assert.equal(bad.statusCode, 400);
    });

    it('stores a mobile number in E.164, however it is written, and refuses what is not one', async () => {
      for (const written of ['0091 98765 43210', '919876543210', '+91-98765-43210']) {
        const changed = await patch(user, `/api/v1/users/${user.id}/`, { mobile: written });
        assert.equal(changed.statusCode, 200);
        assert.equal(changed.json().mobile, '+919876543210');
      }
      const bad = await patch(user, `/api/v1/users/${user.id}/`, { mobile: '12345' });
      assert.deepEqual([bad.statusCode, bad.json()], [400, { mobile: ['Enter a valid mobile number, e.g. +919876543210.'] }]);
      assert.equal((await patch(user, `/api/v1/users/${user.id}/`, { mobile: null })).json().mobile, null);
    });

    it('only a superuser creates users; a taken email is a clear 400', async () => {
      const payload = { email: 'created@example.org', first_name: 'Created' };
      assert.equal((await app.request({ method: 'POST', url: '/api/v1/users/', headers: user.headers(), payload })).statusCode, 403);
      const created = await app.request({ method: 'POST', url: '/api/v1/users/', headers: superuser.headers(), payload });
      assert.equal(created.statusCode, 201);
      assert.equal(created.json().email, 'created@example.org');
      assert.deepEqual(created.json().config, {});
      const again = await app.request({ method: 'POST', url: '/api/v1/users/', headers: superuser.headers(), payload });
      assert.deepEqual([again.statusCode, again.json()], [400, { email: ['user with this email already exists.'] }]);
    });

    it('a user deletes (soft) only themselves', async () => {
      const doomed = await newUser();
      assert.equal((await app.request({ method: 'DELETE', url: `/api/v1/users/${doomed.id}/`, headers: user.headers() })).statusCode, 403);
      assert.equal((await app.request({ method: 'DELETE', url: `/api/v1/users/${doomed.id}/`, headers: doomed.headers() })).statusCode, 204);
      assert.equal((await get(superuser, `/api/v1/users/${doomed.id}/`)).statusCode, 404);
      assert.equal((await get(doomed, `/api/v1/users/${doomed.id}/`)).statusCode, 401);
    });

    it('answers unauthenticated requests with 401', async () => {
      assert.equal((await app.request({ method: 'GET', url: `/api/v1/users/${user.id}/` })).statusCode, 401);
    });
  });

  describe('config and setting', () => {
    it('reads the config', async () => {
      await app.context.db.updateTable('public.user').set({ config: JSON.stringify({ test: true }) }).where('id', '=', user.id).execute();
      const response = await get(user, `/api/v1/users/${user.id}/config/`);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { test: true });
    });

    it("cannot read or change another user's config", async () => {
      assert.equal((await get(user, `/api/v1/users/${user2.id}/config/`)).statusCode, 403);
      assert.equal((await patch(user, `/api/v1/users/${user2.id}/config/`, { config: { test: true } })).statusCode, 403);
    });

    it('needs config and nothing else to update it', async () => {
      const none = await patch(user, `/api/v1/users/${user.id}/config/`, {});
      assert.deepEqual([none.statusCode, none.json()], [400, { detail: 'config not provided' }]);
      const extra = await patch(user, `/api/v1/users/${user.id}/config/`, { config: {}, extra_param: true });
      assert.deepEqual([extra.statusCode, extra.json()], [400, { detail: 'extra keys apart from config are not allowed' }]);
      assert.equal((await patch(user, `/api/v1/users/${user.id}/config/`, { config: 'text' })).statusCode, 400);
    });

    it('updates the config', async () => {
      const updated = await patch(user, `/api/v1/users/${user.id}/config/`, { config: { test: false, locale: 'hi' } });
      assert.deepEqual([updated.statusCode, updated.json()], [200, { status: 'config set' }]);
      assert.deepEqual((await get(user, `/api/v1/users/${user.id}/config/`)).json(), { test: false, locale: 'hi' });
    });

    it('replaces config.settings through setting/, PATCH only', async () => {
      const settings = { player: { skipEnabled: true } };
      const response = await patch(user, `/api/v1/users/${user.id}/setting/`, settings);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { test: false, locale: 'hi', settings });
      assert.equal((await get(user, `/api/v1/users/${user.id}/setting/`)).statusCode, 405);
    });
  });

  describe('filters', () => {
    it('no filter: every user', async () => {
      const ids = await listedIds('');
      for (const id of [superuser.id, user.id, user2.id]) assert.ok(ids.has(id));
    });

    it('ids: one, several, none matching', async () => {
      const [first, second] = [await newUser(), await newUser()];
      await newUser();
      assert.deepEqual(await listedIds(`?ids=${first.id}`), new Set([first.id]));
      assert.deepEqual(await listedIds(`?ids=${first.id},${second.id}`), new Set([first.id, second.id]));
      assert.deepEqual(await listedIds(`?ids=${second.id + 1000}`), new Set());
    });

    it('organization: only its members; none when it has none; nothing for a malformed id', async () => {
      const empty = await app.context.tenancy.organizations.create({ name: 'Empty', shortcode: 'empty' });
      const other = await app.context.tenancy.organizations.create({ name: 'Filter', shortcode: 'filter' });
      const [one, two, decoy] = [await newUser(), await newUser(), await newUser()];
      await addMembership(app, one.id, other.id, 'org-view');
      await addMembership(app, two.id, other.id, 'org-admin');
      await addMembership(app, decoy.id, orgB.id, 'org-view');
      assert.deepEqual(await listedIds(`?organization=${other.id}`), new Set([one.id, two.id]));
      assert.deepEqual(await listedIds(`?organization=${empty.id}`), new Set());
      assert.deepEqual(await listedIds('?organization=abc'), new Set());
    });

    it('email: exact match, or nothing', async () => {
      const target = await newUser('filter-target@example.com');
      await newUser('filter-decoy@example.com');
      assert.deepEqual(await listedIds('?email=filter-target@example.com'), new Set([target.id]));
      assert.deepEqual(await listedIds('?email=absent@example.com'), new Set());
    });

    it('filters combine as a conjunction', async () => {
      const combo = await app.context.tenancy.organizations.create({ name: 'Combo', shortcode: 'combo' });
      const winner = await newUser('combined-winner@example.com');
      const idsOrg = await newUser('combined-ids-org@example.com');
      const idsOnly = await newUser('combined-ids-only@example.com');
      const orgOnly = await newUser('combined-org-only@example.com');
      await addMembership(app, winner.id, combo.id, 'org-view');
      await addMembership(app, idsOrg.id, combo.id, 'org-view');
      await addMembership(app, idsOnly.id, orgB.id, 'org-view');
      await addMembership(app, orgOnly.id, combo.id, 'org-view');
      const query = `?ids=${winner.id},${idsOrg.id},${idsOnly.id}&organization=${combo.id}&email=combined-winner@example.com`;
      assert.deepEqual(await listedIds(query), new Set([winner.id]));
    });
  });
});
