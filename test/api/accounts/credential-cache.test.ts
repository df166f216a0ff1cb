/**
 * Authentication remembers who a token belongs to, and forgets it the moment
 * anything behind it changes: every case below first uses the token (so it
 * is remembered), changes something, and expects the very next request to
 * see the change — in this instance at once, in another through NOTIFY.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Running } from '../../../src/boot.ts';
import { createAccounts } from '../../../src/accounts/feature.ts';
import { ensureSuperuser } from '../../../src/accounts/users.ts';
import { content } from '../../../src/content/feature.ts';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { TEST_DATABASE } from '../../support/database.ts';
import { queryCounter, secondInstance } from '../../support/instances.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { bearer, CLIENT, CLIENT_ENV, testClock } from './support.ts';

const SUPERUSER = { email: 'root@example.org', password: 'correct horse battery staple' };
const clock = testClock();

describe('remembered credentials', () => {
  let app: TestApp;
  let superuser: TestUser;
  let org: Organization;
  before(async () => {
    app = await startApp(
      { ...CLIENT_ENV, SUPERUSER_EMAIL: SUPERUSER.email, SUPERUSER_PASSWORD: SUPERUSER.password },
      { features: [createAccounts({ clock }), content] },
    );
    superuser = await createUser(app, { isSuperuser: true });
    org = await app.context.tenancy.organizations.create({ name: 'Remembered', shortcode: 'remembered' });
  });
  after(() => app.close());

  const me = (token: string, running: Pick<Running, 'app'> = app) =>
    running.app.inject({ method: 'GET', url: '/api/v1/plios/', headers: bearer(token) });
  const login = async () => {
    const user = await createUser(app);
    assert.equal((await me(user.accessToken)).statusCode, 200);
    return user;
  };
  const revoke = (token: string) =>
    app.request({ method: 'POST', url: '/auth/revoke-token/', payload: { token, client_id: CLIENT.id, client_secret: CLIENT.secret } });
  const passwordLogin = async () => {
    const response = await app.request({
      method: 'POST',
      url: '/auth/token/',
      payload: { grant_type: 'password', username: SUPERUSER.email, password: SUPERUSER.password, client_id: CLIENT.id, client_secret: CLIENT.secret },
    });
    assert.equal(response.statusCode, 200);
    return response.json() as { access_token: string; refresh_token: string };
  };
  /** Creating a plio in the organization: 201 for members, 403 for anyone else. */
  const createPlioIn = (user: TestUser) =>
    app.request({ method: 'POST', url: '/api/v1/plios/', headers: user.headers(org.shortcode), payload: { name: 'membership probe' } });

  it('authenticates a remembered token without asking the database', async () => {
    const counter = queryCounter();
    const counted = await secondInstance(app, {}, counter);
    try {
      const user = await createUser(app);
      const health = () => counted.app.inject({ method: 'GET', url: '/health', headers: user.headers(org.shortcode) });
      counter.count = 0;
      assert.equal((await health()).statusCode, 200);
      assert.equal(counter.count, 1, 'the first request reads the token, the user and the role in one query');
      counter.count = 0;
      assert.equal((await health()).statusCode, 200);
      assert.equal(counter.count, 0);
    } finally {
      await counted.close();
    }
  });

  it('forgets a revoked access token at once', async () => {
    const pair = await passwordLogin();
    assert.equal((await me(pair.access_token)).statusCode, 200);
    assert.equal((await revoke(pair.access_token)).statusCode, 200);
    assert.equal((await me(pair.access_token)).statusCode, 401);
  });

  it('forgets the access token of a revoked refresh token at once', async () => {
    const pair = await passwordLogin();
    assert.equal((await me(pair.access_token)).statusCode, 200);
    assert.equal((await revoke(pair.refresh_token)).statusCode, 200);
    assert.equal((await me(pair.access_token)).statusCode, 401);
  });

  it('forgets the access token a refresh replaced at once', async () => {
    const pair = await passwordLogin();
    assert.equal((await me(pair.access_token)).statusCode, 200);
    const refreshed = await app.request({
      method: 'POST',
      url: '/auth/token/',
      payload: { grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret },
    });
    assert.equal(refreshed.statusCode, 200);
    assert.equal((await me(pair.access_token)).statusCode, 401);
    assert.equal((await me(refreshed.json().access_token)).statusCode, 200);
  });

  it('stops honouring a remembered token when it expires', async () => {
    const pair = await passwordLogin(); // issued at the test clock's time
    assert.equal((await me(pair.access_token)).statusCode, 200);
    clock.advance(24 * 3600 + 1);
    try {
      assert.equal((await me(pair.access_token)).statusCode, 401);
    } finally {
      clock.advance(-(24 * 3600 + 1));
    }
  });

  it('forgets a deleted user at once', async () => {
    const user = await login();
    const deleted = await app.request({ method: 'DELETE', url: `/api/v1/users/${user.id}/`, headers: superuser.headers() });
    assert.equal(deleted.statusCode, 204);
    assert.equal((await me(user.accessToken)).statusCode, 401);
  });

  it('sees a user promoted to superuser at once', async () => {
    const user = await createUser(app, { email: 'promoted@example.org' });
    const listUsers = async () => (await app.request({ method: 'GET', url: '/api/v1/users/', headers: user.headers() })).statusCode;
    assert.equal(await listUsers(), 403, 'only superusers list users');
    await ensureSuperuser(app.context.db, 'promoted@example.org', 'a long enough password');
    assert.equal(await listUsers(), 200);
  });

  it('follows a membership as it is granted, changed and removed', async () => {
    const user = await login();
    assert.equal((await createPlioIn(user)).statusCode, 403);

    const roles = Object.fromEntries((await app.context.db.selectFrom('public.role').select(['id', 'name']).execute()).map((r) => [r.name, r.id]));
    const granted = await app.request({
      method: 'POST',
      url: '/api/v1/organization-users/',
      headers: superuser.headers(),
      payload: { user: user.id, organization: org.id, role: roles['org-view'] },
    });
    assert.equal(granted.statusCode, 201, granted.body);
    assert.equal((await createPlioIn(user)).statusCode, 201);

    const other = await createUser(app);
    await addMembership(app, other.id, org.id, 'org-view');
    assert.equal((await createPlioIn(other)).statusCode, 201);
    // the membership moves to another user: the first loses the organization
    const moved = await app.request({
      method: 'PATCH',
      url: `/api/v1/organization-users/${granted.json().id}/`,
      headers: superuser.headers(),
      payload: { user: (await createUser(app)).id },
    });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal((await createPlioIn(user)).statusCode, 403);

    const otherMembership = await app.context.db
      .selectFrom('public.organization_user')
      .select('id')
      .where('user_id', '=', other.id)
      .executeTakeFirstOrThrow();
    const removed = await app.request({ method: 'DELETE', url: `/api/v1/organization-users/${otherMembership.id}/`, headers: superuser.headers() });
    assert.equal(removed.statusCode, 204);
    assert.equal((await createPlioIn(other)).statusCode, 403);
  });

  it('is forgotten in another instance through NOTIFY (PostgreSQL)', { skip: TEST_DATABASE !== 'postgres' && 'one process on the embedded database' }, async () => {
    const other = await secondInstance(app);
    try {
      const pair = await passwordLogin();
      assert.equal((await me(pair.access_token, other)).statusCode, 200);
      assert.equal((await revoke(pair.access_token)).statusCode, 200);
      let status = 200;
      for (let attempt = 0; attempt < 50 && status !== 401; attempt++) {
        status = (await me(pair.access_token, other)).statusCode;
        if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 40));
      }
      assert.equal(status, 401);
    } finally {
      await other.close();
    }
  });
});
