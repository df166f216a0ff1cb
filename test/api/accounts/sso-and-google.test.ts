import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { bearer, CLIENT, CLIENT_ENV } from './support.ts';

/** Google tokeninfo as a local fake: tokens are `good:<email>` or anything else (refused). */
function fakeGoogle(): Promise<Server> {
  const server = createServer((request, response) => {
    const token = new URL(request.url ?? '/', 'http://x').searchParams.get('access_token') ?? '';
    const [kind, email] = token.split(':');
    response.setHeader('content-type', 'application/json');
    if (kind === 'good' || kind === 'unverified' || kind === 'foreign') {
      response.end(
        JSON.stringify({
          aud: kind === 'foreign' ? 'someone-else.apps.googleusercontent.com' : 'plio-web.apps.googleusercontent.com',
          sub: `sub-${email}`,
          email,
          email_verified: kind === 'unverified' ? 'false' : 'true',
          given_name: 'Ada',
          family_name: 'Lovelace',
          picture: 'https://example.com/ada.png',
        }),
      );
    } else {
      response.statusCode = 400;
      response.end(JSON.stringify({ error: 'invalid_token' }));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('SSO and Google logins (tests/integration/auth/test_sso.py, test_convert_token.py, org/test_sso_scoping.py)', () => {
  let app: TestApp;
  let google: Server;
  let orgA: Organization;
  let orgB: Organization;
  before(async () => {
    google = await fakeGoogle();
    const port = (google.address() as AddressInfo).port;
    app = await startApp({
      ...CLIENT_ENV,
      GOOGLE_TOKENINFO_URL: `http://127.0.0.1:${port}/tokeninfo`,
      GOOGLE_OAUTH2_CLIENT_ID: 'plio-web.apps.googleusercontent.com',
    });
    orgA = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    orgB = await app.context.tenancy.organizations.create({ name: 'Org B', shortcode: 'org-b' });
  });
  after(async () => {
    await app.close();
    await new Promise((resolve) => google.close(resolve));
  });

  const sso = (payload: Record<string, string>) =>
    app.request({ method: 'POST', url: '/auth/generate-external-auth-access-token/', payload });
  const convert = (token: string, overrides: Record<string, string> = {}) =>
    app.request({
      method: 'POST',
      url: '/auth/convert-token/',
      payload: { grant_type: 'convert_token', client_id: CLIENT.id, client_secret: CLIENT.secret, backend: 'google-oauth2', token, ...overrides },
    });
  const userIdOf = async (accessToken: string) =>
    (await app.request({ method: 'GET', url: `/api/v1/users/token/?token=${accessToken}`, headers: bearer(accessToken) })).json().id as number;
  const usersWhere = (column: 'unique_id' | 'email', value: string) =>
    app.context.db.selectFrom('public.user').select(['id', 'auth_org_id']).where(column, '=', value).execute();

  describe('SSO', () => {
    it('mints a user scoped to the org of the api_key, with a working token', async () => {
      const response = await sso({ unique_id: 'learner-42', api_key: orgA.apiKey });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().token_type, 'Bearer');
      const minted = await usersWhere('unique_id', 'learner-42');
      assert.deepEqual(minted.map((u) => u.auth_org_id), [orgA.id]);
      const me = await app.request({ method: 'GET', url: `/api/v1/users/${minted[0]!.id}/`, headers: bearer(response.json().access_token) });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().unique_id, 'learner-42');
      assert.equal(me.json().auth_org, orgA.id);
    });

    it('signs a returning user in without a duplicate', async () => {
      const first = await sso({ unique_id: 'learner-99', api_key: orgA.apiKey });
      const second = await sso({ unique_id: 'learner-99', api_key: orgA.apiKey });
      assert.equal(first.statusCode, 200);
      assert.equal(second.statusCode, 200);
      assert.equal((await usersWhere('unique_id', 'learner-99')).length, 1);
      assert.equal(await userIdOf(first.json().access_token), await userIdOf(second.json().access_token));
    });

    it('signs in a pre-created third-party user', async () => {
      const created = await app.context.db
        .insertInto('public.user')
        .values({ unique_id: 'test_id', auth_org_id: orgA.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      const response = await sso({ unique_id: 'test_id', api_key: orgA.apiKey });
      assert.equal(await userIdOf(response.json().access_token), created.id);
    });

    it('treats the same unique_id under another org as another person', async () => {
      const a = await sso({ unique_id: 'shared-learner', api_key: orgA.apiKey });
      const b = await sso({ unique_id: 'shared-learner', api_key: orgB.apiKey });
      const [idA, idB] = [await userIdOf(a.json().access_token), await userIdOf(b.json().access_token)];
      assert.notEqual(idA, idB);
      const rows = await usersWhere('unique_id', 'shared-learner');
      assert.deepEqual(rows.map((u) => u.auth_org_id).sort(), [orgA.id, orgB.id].sort());
    });

    it('gives an org-a identity no rights in org-b', async () => {
      const token = (await sso({ unique_id: 'sso-writer', api_key: orgA.apiKey })).json().access_token;
      const roles = await app.request({ method: 'GET', url: '/api/v1/roles/', headers: { ...bearer(token), organization: 'org-b' } });
      assert.equal(roles.statusCode, 200);
      assert.deepEqual(roles.json(), []);
      const members = await app.request({ method: 'GET', url: '/api/v1/organization-users/', headers: { ...bearer(token), organization: 'org-b' } });
      assert.deepEqual(members.json(), []);
    });

    it('refuses an unknown api_key, and mints nobody', async () => {
      const response = await sso({ unique_id: 'learner-x', api_key: 'not-a-real-api-key' });
      assert.equal(response.statusCode, 400);
      assert.deepEqual(response.json(), { detail: 'Invalid api_key provided.' });
      assert.equal((await usersWhere('unique_id', 'learner-x')).length, 0);
    });

    it("refuses a deleted organization's api_key", async () => {
      const gone = await app.context.tenancy.organizations.create({ name: 'Gone', shortcode: 'gone' });
      await app.context.tenancy.organizations.delete('gone');
      assert.equal((await sso({ unique_id: 'learner-y', api_key: gone.apiKey })).statusCode, 400);
    });

    it('names the missing key', async () => {
      const noKey = await sso({ unique_id: 'learner-42' });
      assert.deepEqual([noKey.statusCode, noKey.json()], [400, { detail: 'api_key not provided.' }]);
      const noId = await sso({ api_key: 'some-api-key' });
      assert.deepEqual([noId.statusCode, noId.json()], [400, { detail: 'unique_id not provided.' }]);
    });
  });

  describe('Google (convert-token)', () => {
    it('creates a new user with a working token', async () => {
      const response = await convert('good:ada@example.com');
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json().token_type, 'Bearer');
      assert.equal(response.json().user.email, 'ada@example.com');
      assert.equal(response.json().user.first_name, 'Ada');
      assert.equal((await usersWhere('email', 'ada@example.com')).length, 1);
      const id = await userIdOf(response.json().access_token);
      const me = await app.request({ method: 'GET', url: `/api/v1/users/${id}/`, headers: bearer(response.json().access_token) });
      assert.equal(me.statusCode, 200);
    });

    it('signs a returning user in without a duplicate', async () => {
      assert.equal((await convert('good:grace@example.com')).statusCode, 200);
      assert.equal((await convert('good:grace@example.com')).statusCode, 200);
      assert.equal((await usersWhere('email', 'grace@example.com')).length, 1);
    });

    it('adopts a user pre-created by email', async () => {
      const pre = await app.context.db
        .insertInto('public.user')
        .values({ email: 'pre@example.com', first_name: 'Pre' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const response = await convert('good:pre@example.com');
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().user.id, pre.id);
      assert.equal(response.json().user.email, 'pre@example.com');
      assert.equal((await usersWhere('email', 'pre@example.com')).length, 1);
    });

    it('also works as grant_type=convert_token on /auth/token/', async () => {
      const response = await app.request({
        method: 'POST',
        url: '/auth/token/',
        payload: { grant_type: 'convert_token', client_id: CLIENT.id, client_secret: CLIENT.secret, backend: 'google-oauth2', token: 'good:tok@example.com' },
      });
      assert.equal(response.statusCode, 200);
    });

    it('refuses tokens Google rejects, unverified emails and tokens issued to another app', async () => {
      for (const token of ['bad-token', 'unverified:u@example.com', 'foreign:f@example.com']) {
        const response = await convert(token);
        assert.equal(response.statusCode, 400, token);
        assert.equal(response.json().error, 'invalid_grant');
      }
      assert.equal((await usersWhere('email', 'u@example.com')).length, 0);
    });

    it('checks the client and the backend', async () => {
      assert.equal((await convert('good:c@example.com', { client_secret: 'wrong' })).statusCode, 401);
      const backend = await convert('good:c@example.com', { backend: 'facebook' });
      assert.equal(backend.statusCode, 400);
      assert.equal(backend.json().error, 'invalid_request');
      assert.equal((await convert('', {})).statusCode, 400);
    });
  });
});
