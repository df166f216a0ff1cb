import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';

describe('organizations API (organizations/tests.py, SPEC section 8)', () => {
  let app: TestApp;
  let org1: Organization;
  let org2: Organization;
  let superuser: TestUser;
  let user: TestUser;
  before(async () => {
    app = await startApp();
    org1 = await app.context.tenancy.organizations.create({ name: 'Org 1', shortcode: 'org-1' });
    org2 = await app.context.tenancy.organizations.create({ name: 'Org 2', shortcode: 'org-2' });
    superuser = await createUser(app, { isSuperuser: true });
    user = await createUser(app);
  });
  after(() => app.close());

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, as?: TestUser, payload?: object) =>
    app.request({ method, url, headers: as?.headers() ?? {}, ...(payload ? { payload } : {}) });
  const configOf = async (id: number) =>
    (await app.context.db.selectFrom('public.organization').select('config').where('id', '=', id).executeTakeFirstOrThrow()).config;

  it('a guest cannot list organizations, nor can a random token', async () => {
    assert.equal((await call('GET', '/api/v1/organizations/')).statusCode, 401);
    const random = await app.request({ method: 'GET', url: '/api/v1/organizations/', headers: { authorization: 'Bearer abcd' } });
    assert.equal(random.statusCode, 401);
  });

  it('a non-superuser cannot list organizations; a superuser can, with api_keys', async () => {
    assert.equal((await call('GET', '/api/v1/organizations/', user)).statusCode, 403);
    const listed = await call('GET', '/api/v1/organizations/', superuser);
    assert.equal(listed.statusCode, 200);
    const mine = (listed.json() as { id: number; api_key: string }[]).find((o) => o.id === org1.id);
    assert.equal(mine?.api_key, org1.apiKey);
  });

  it('only superusers create organizations, and the schema comes with them', async () => {
    assert.equal((await call('POST', '/api/v1/organizations/', user, { name: 'Nope', shortcode: 'nope' })).statusCode, 403);
    const created = await call('POST', '/api/v1/organizations/', superuser, { name: 'Avanti Fellows', shortcode: 'af', config: { theme: 'blue' } });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.equal(body.shortcode, 'af');
    assert.match(body.schema_name, /^[a-z]{10}$/);
    assert.match(body.api_key, /^[A-Za-z0-9]{20}$/);
    assert.deepEqual(body.config, { theme: 'blue' });
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = ${body.schema_name}`.execute(
      app.context.db,
    );
    assert.ok(tables.rows.some((row) => row.table_name === 'plio'));
    // the new organization is immediately a tenant the Organization header reaches
    const roles = await app.request({ method: 'GET', url: '/api/v1/roles/', headers: superuser.headers('af') });
    assert.equal(roles.statusCode, 200);
  });

  it('refuses a duplicate shortcode and missing fields with clear 400s', async () => {
    const duplicate = await call('POST', '/api/v1/organizations/', superuser, { name: 'Again', shortcode: 'org-1' });
    assert.equal(duplicate.statusCode, 400);
    assert.deepEqual(duplicate.json(), { shortcode: ['organization with this shortcode already exists.'] });
    const missing = await call('POST', '/api/v1/organizations/', superuser, {});
    assert.deepEqual([missing.statusCode, missing.json()], [400, { name: ['This field is required.'], shortcode: ['This field is required.'] }]);
    assert.equal((await call('POST', '/api/v1/organizations/', superuser, { name: 'X', shortcode: 'bad code!' })).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/organizations/', superuser, { name: 'X', shortcode: 'x1', config: [1] })).statusCode, 400);
  });

  it('settings accept PATCH only', async () => {
    const url = `/api/v1/organizations/${org1.id}/setting/`;
    const settings = { setting_name: 'setting_value' };
    assert.equal((await call('GET', url, superuser)).statusCode, 405);
    assert.equal((await call('POST', url, superuser, settings)).statusCode, 405);
    assert.equal((await call('PUT', url, superuser, settings)).statusCode, 405);
    const patched = await call('PATCH', url, superuser, settings);
    assert.equal(patched.statusCode, 200);
    assert.deepEqual(patched.json(), { settings });
    assert.deepEqual(await configOf(org1.id), { settings });
  });

  it('a superuser updates the settings of any organization', async () => {
    const settings = { skip: true };
    for (const org of [org1, org2]) {
      assert.equal((await call('PATCH', `/api/v1/organizations/${org.id}/setting/`, superuser, settings)).statusCode, 200);
      assert.deepEqual(((await configOf(org.id)) as { settings: unknown }).settings, settings);
    }
  });

  it("an org admin updates their own organization's settings only", async () => {
    const admin = await createUser(app);
    const fresh = await app.context.tenancy.organizations.create({ name: 'Org 3', shortcode: 'org-3' });
    const settings = { setting_name: 'setting_value' };
    assert.equal((await call('PATCH', `/api/v1/organizations/${org1.id}/setting/`, admin, settings)).statusCode, 403);
    const roles = await app.context.db.selectFrom('public.role').select(['id', 'name']).execute();
    const granted = await call('POST', '/api/v1/organization-users/', superuser, {
      user: admin.id,
      organization: fresh.id,
      role: roles.find((r) => r.name === 'org-admin')!.id,
    });
    assert.equal(granted.statusCode, 201);
    assert.equal((await call('PATCH', `/api/v1/organizations/${fresh.id}/setting/`, admin, settings)).statusCode, 200);
    assert.deepEqual(await configOf(fresh.id), { settings });
    assert.equal((await call('PATCH', `/api/v1/organizations/${org2.id}/setting/`, admin, settings)).statusCode, 403);
    assert.equal((await call('PATCH', `/api/v1/organizations/${org1.id}/setting/`, user, settings)).statusCode, 403);
  });

  it("an org-view member can neither read nor change the organization", async () => {
    const member = await createUser(app);
    await addMembership(app, member.id, org2.id, 'org-view');
    assert.equal((await call('GET', `/api/v1/organizations/${org2.id}/`, member)).statusCode, 403);
    assert.equal((await call('PATCH', `/api/v1/organizations/${org2.id}/`, member, { name: 'Hijacked' })).statusCode, 403);
  });

  it('an org admin changes the config but not the name or shortcode (superusers only, as the reference)', async () => {
    const admin = await createUser(app);
    const org = await app.context.tenancy.organizations.create({ name: 'Own Org', shortcode: 'own-org' });
    await addMembership(app, admin.id, org.id, 'org-admin');
    for (const method of ['PATCH', 'PUT'] as const) {
      assert.equal((await call(method, `/api/v1/organizations/${org.id}/`, admin, { name: 'Renamed' })).statusCode, 403);
      assert.equal((await call(method, `/api/v1/organizations/${org.id}/`, admin, { shortcode: 'stolen' })).statusCode, 403);
    }
    const current = (await call('GET', `/api/v1/organizations/${org.id}/`, admin)).json();
    assert.deepEqual([current.name, current.shortcode], ['Own Org', 'own-org']);
    // sending the organization back unchanged with a new config is allowed
    const configured = await call('PUT', `/api/v1/organizations/${org.id}/`, admin, { name: 'Own Org', shortcode: 'own-org', config: { theme: 'dark' } });
    assert.equal(configured.statusCode, 200, configured.body);
    assert.deepEqual(configured.json().config, { theme: 'dark' });
    assert.equal((await call('PATCH', `/api/v1/organizations/${org.id}/`, superuser, { name: 'Renamed' })).json().name, 'Renamed');
  });

  it('renaming is seen by the members (the user JSON) and by tenant resolution', async () => {
    const member = await createUser(app);
    await addMembership(app, member.id, org2.id, 'org-admin');
    const renamed = await call('PATCH', `/api/v1/organizations/${org2.id}/`, superuser, { name: 'Org New Name', shortcode: 'org-new' });
    assert.equal(renamed.statusCode, 200);
    const me = (await call('GET', `/api/v1/users/${member.id}/`, member)).json();
    assert.equal(me.organizations[0].name, 'Org New Name');
    const viaHeader = await app.request({ method: 'GET', url: '/api/v1/roles/', headers: member.headers('org-new') });
    assert.deepEqual((viaHeader.json() as { name: string }[]).map((r) => r.name), ['org-view']);
    const clash = await call('PATCH', `/api/v1/organizations/${org2.id}/`, superuser, { shortcode: 'org-1' });
    assert.equal(clash.statusCode, 400);
  });

  it('only superusers delete an organization; it is then gone', async () => {
    const doomed = await app.context.tenancy.organizations.create({ name: 'Doomed', shortcode: 'doomed' });
    assert.equal((await call('DELETE', `/api/v1/organizations/${doomed.id}/`, user)).statusCode, 403);
    assert.equal((await call('DELETE', `/api/v1/organizations/${doomed.id}/`, superuser)).statusCode, 204);
    assert.equal((await call('GET', `/api/v1/organizations/${doomed.id}/`, superuser)).statusCode, 404);
    const header = await app.request({ method: 'GET', url: '/api/v1/roles/', headers: superuser.headers('doomed') });
    assert.equal(header.statusCode, 404);
  });
});
