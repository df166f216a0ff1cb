import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccounts } from '../../../src/accounts/feature.ts';
import { hashClientSecret } from '../../../src/accounts/oauth-clients.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { createUser } from '../../support/users.ts';
import { bearer, CLIENT, CLIENT_ENV, testClock } from './support.ts';

const SUPERUSER = { email: 'root@example.org', password: 'correct horse battery staple' };
const clock = testClock();

describe('tokens: password and refresh grants, revocation, bearer authentication', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp(
      { ...CLIENT_ENV, SUPERUSER_EMAIL: SUPERUSER.email, SUPERUSER_PASSWORD: SUPERUSER.password },
      { features: [createAccounts({ clock })] },
    );
  });
  after(() => app.close());

  const passwordGrant = (overrides: Record<string, string> = {}) => ({
    grant_type: 'password',
    username: SUPERUSER.email,
    password: SUPERUSER.password,
    client_id: CLIENT.id,
    client_secret: CLIENT.secret,
    ...overrides,
  });
  const token = (payload: Record<string, string>, asForm = false) =>
    app.request({
      method: 'POST',
      url: '/auth/token/',
      ...(asForm
        ? { payload: new URLSearchParams(payload).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
        : { payload }),
    });
  const whoAmI = async (accessToken: string) => {
    const found = await app.request({
      method: 'GET',
      url: `/api/v1/users/token/?token=${encodeURIComponent(accessToken)}`,
      headers: bearer(accessToken),
    });
    return found.statusCode === 200 ? (found.json().id as number) : undefined;
  };

  it('boot creates the superuser from SUPERUSER_EMAIL/SUPERUSER_PASSWORD, password hashed', async () => {
    const row = await app.context.db.selectFrom('public.user').selectAll().where('email', '=', SUPERUSER.email).executeTakeFirstOrThrow();
    assert.equal(row.is_superuser, true);
    assert.match(row.password ?? '', /^\$argon2id\$/);
  });

  it('boot seeds the three roles in the reference order', async () => {
    const roles = await app.context.db.selectFrom('public.role').select('name').orderBy('id').execute();
    assert.deepEqual(roles.map((r) => r.name), ['super-admin', 'org-admin', 'org-view']);
  });

  it('issues the reference token pair for the password grant, form-encoded and JSON', async () => {
    for (const asForm of [true, false]) {
      const response = await token(passwordGrant(), asForm);
      assert.equal(response.statusCode, 200, response.body);
      const pair = response.json();
      assert.deepEqual(Object.keys(pair).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
      assert.equal(pair.token_type, 'Bearer');
      assert.equal(pair.expires_in, 86400);
      assert.equal(pair.scope, 'read write');
      const me = await app.request({ method: 'GET', url: '/api/v1/users/', headers: bearer(pair.access_token) });
      assert.equal(me.statusCode, 200);
    }
  });

  it('accepts client credentials through HTTP Basic authentication', async () => {
    const { client_id: _id, client_secret: _secret, ...rest } = passwordGrant();
    const response = await app.request({
      method: 'POST',
      url: '/auth/token/',
      payload: new URLSearchParams(rest).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
      },
    });
    assert.equal(response.statusCode, 200);
  });

  it('refuses a wrong password, an unknown client and a wrong client secret', async () => {
    const wrongPassword = await token(passwordGrant({ password: 'nope' }));
    assert.equal(wrongPassword.statusCode, 400);
    assert.equal(wrongPassword.json().error, 'invalid_grant');
    assert.equal(typeof wrongPassword.json().error_description, 'string');
    const unknownClient = await token(passwordGrant({ client_id: 'who' }));
    assert.equal(unknownClient.statusCode, 401);
    assert.equal(unknownClient.json().error, 'invalid_client');
    const wrongSecret = await token(passwordGrant({ client_secret: 'guess' }));
    assert.equal(wrongSecret.statusCode, 401);
  });

  it('stores tokens hashed, never in clear', async () => {
    const pair = (await token(passwordGrant())).json();
    const stored = await app.context.db.selectFrom('public.oauth_access_token').select('token_hash').execute();
    assert.ok(stored.length > 0);
    assert.ok(stored.every((row) => row.token_hash !== pair.access_token && /^[0-9a-f]{64}$/.test(row.token_hash)));
  });

  it('rotates on refresh: a new pair, the old access token revoked', async () => {
    const first = (await token(passwordGrant())).json();
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret });
    assert.equal(refreshed.statusCode, 200);
    const second = refreshed.json();
    assert.notEqual(second.access_token, first.access_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(await whoAmI(first.access_token), undefined);
    assert.equal(typeof (await whoAmI(second.access_token)), 'number');
  });

  it('refuses a refresh token issued to another client', async () => {
    const pair = (await token(passwordGrant())).json();
    const other = await app.context.db
      .insertInto('public.oauth_application')
      .values({ name: 'other', client_id: 'other-client', client_secret_hash: hashClientSecret('other-secret') })
      .returning('id')
      .executeTakeFirstOrThrow();
    assert.ok(other.id);
    const stolen = await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: 'other-client', client_secret: 'other-secret' });
    assert.equal(stolen.statusCode, 400);
    assert.equal(stolen.json().error, 'invalid_grant');
  });

  it('refuses an unknown grant type and a missing one', async () => {
    const unknown = await token({ grant_type: 'magic', client_id: CLIENT.id, client_secret: CLIENT.secret });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error, 'unsupported_grant_type');
    const notOurs = await token({ grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: CLIENT.secret });
    assert.equal(notOurs.statusCode, 400);
    assert.equal(notOurs.json().error, 'unauthorized_client');
    const missing = await token({ client_id: CLIENT.id, client_secret: CLIENT.secret });
    assert.equal(missing.statusCode, 400);
  });

  it('refuses a refresh token used twice', async () => {
    const pair = (await token(passwordGrant())).json();
    const refresh = { grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret };
    assert.equal((await token(refresh)).statusCode, 200);
    const again = await token(refresh);
    assert.equal(again.statusCode, 400);
    assert.equal(again.json().error, 'invalid_grant');
  });

  it('refuses a refresh token after 7 days', async () => {
    const pair = (await token(passwordGrant())).json();
    clock.advance(7 * 24 * 3600 + 1);
    try {
      const late = await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret });
      assert.equal(late.statusCode, 400);
    } finally {
      clock.advance(-(7 * 24 * 3600 + 1));
    }
  });

  it('answers 401 with the reference body once the access token expires (1 day)', async () => {
    const pair = (await token(passwordGrant())).json();
    const probe = () => app.request({ method: 'GET', url: '/api/v1/users/', headers: bearer(pair.access_token) });
    assert.equal((await probe()).statusCode, 200);
    clock.advance(86400 + 1);
    try {
      const expired = await probe();
      assert.equal(expired.statusCode, 401);
      assert.deepEqual(expired.json(), { detail: 'Authentication credentials were not provided.' });
    } finally {
      clock.advance(-(86400 + 1));
    }
  });

  it('revokes an access token together with its refresh token', async () => {
    const pair = (await token(passwordGrant())).json();
    const revoke = await app.request({
      method: 'POST',
      url: '/auth/revoke-token/',
      payload: { token: pair.access_token, client_id: CLIENT.id, client_secret: CLIENT.secret },
    });
    assert.equal(revoke.statusCode, 200);
    const probe = await app.request({ method: 'GET', url: '/api/v1/users/', headers: bearer(pair.access_token) });
    assert.equal(probe.statusCode, 401);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret });
    assert.equal(refresh.statusCode, 400);
  });

  it('revokes a refresh token together with its access token', async () => {
    const pair = (await token(passwordGrant())).json();
    const revoke = await app.request({
      method: 'POST',
      url: '/auth/revoke-token/',
      payload: new URLSearchParams({ token: pair.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(revoke.statusCode, 200);
    assert.equal(await whoAmI(pair.access_token), undefined);
  });

  it('finds the user of an access token (GET /api/v1/users/token/)', async () => {
    const user = await createUser(app);
    const ask = (query: string, headers: Record<string, string> = user.headers()) =>
      app.request({ method: 'GET', url: `/api/v1/users/token/${query}`, headers });
    const found = await ask(`?token=${user.accessToken}`);
    assert.equal(found.statusCode, 200);
    assert.equal(found.json().id, user.id);
    assert.deepEqual(found.json().config, {});
    const missing = await ask('');
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), { detail: 'token not provided' });
    const unknown = await ask('?token=1234');
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), { detail: 'User not found.' });
    const anonymous = await ask(`?token=${user.accessToken}`, {});
    assert.equal(anonymous.statusCode, 401);
  });

  it('answers 401 for an expired or revoked token, so the web client refreshes on reload instead of showing "Page Not Found"', async () => {
    const expiring = await token(passwordGrant());
    const pair = expiring.json();
    clock.advance(86_401);
    try {
      const expired = await app.request({ method: 'GET', url: `/api/v1/users/token/?token=${pair.access_token}`, headers: bearer(pair.access_token) });
      assert.equal(expired.statusCode, 401);
      assert.deepEqual(expired.json(), { detail: 'Authentication credentials were not provided.' });
      // The client's next steps: refresh, then retry with the new token in both places.
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: pair.refresh_token, client_id: CLIENT.id, client_secret: CLIENT.secret });
      assert.equal(refreshed.statusCode, 200, refreshed.body);
      const fresh = refreshed.json().access_token as string;
      const retried = await app.request({ method: 'GET', url: `/api/v1/users/token/?token=${fresh}`, headers: bearer(fresh) });
      assert.equal(retried.statusCode, 200);
      assert.equal(retried.json().email, SUPERUSER.email);
    } finally {
      clock.advance(-86_401);
    }
    const revoked = (await token(passwordGrant())).json();
    await app.request({
      method: 'POST',
      url: '/auth/revoke-token/',
      payload: new URLSearchParams({ token: revoked.access_token, client_id: CLIENT.id, client_secret: CLIENT.secret }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const afterRevoke = await app.request({ method: 'GET', url: `/api/v1/users/token/?token=${revoked.access_token}`, headers: bearer(revoked.access_token) });
    assert.equal(afterRevoke.statusCode, 401);
  });

  it('answers 401 without a token, with a random token and with a malformed Authorization header', async () => {
    for (const headers of [{}, bearer('abcd'), { authorization: 'Bearer' }, { authorization: 'Token abc' }, { authorization: 'Bearer a b c' }]) {
      const response = await app.request({ method: 'GET', url: '/api/v1/organizations/', headers });
      assert.equal(response.statusCode, 401, JSON.stringify(headers));
      assert.deepEqual(response.json(), { detail: 'Authentication credentials were not provided.' });
    }
  });

  it('answers malformed requests on every auth route with a 4xx, never a 500', async () => {
    const routes = [
      '/auth/token/',
      '/auth/convert-token/',
      '/auth/revoke-token/',
      '/auth/generate-external-auth-access-token/',
      '/api/v1/otp/request/',
      '/api/v1/otp/verify/',
    ];
    const bodies: { payload?: string; headers?: Record<string, string> }[] = [
      {},
      { payload: '{not json', headers: { 'content-type': 'application/json' } },
      { payload: '[1,2,3]', headers: { 'content-type': 'application/json' } },
      { payload: '"text"', headers: { 'content-type': 'application/json' } },
      { payload: 'null', headers: { 'content-type': 'application/json' } },
      { payload: '{"grant_type": {"x": 1}, "mobile": {"a": 1}, "otp": {}, "token": {}, "unique_id": {}, "api_key": {}, "refresh_token": {}}', headers: { 'content-type': 'application/json' } },
      { payload: 'grant_type=password&grant_type=refresh_token&mobile=%ZZ', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      { payload: '<xml/>', headers: { 'content-type': 'application/xml' } },
      { payload: '{}', headers: { 'content-type': 'application/json', authorization: 'Basic !!!notbase64' } },
      { payload: '{}', headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from('%E0%A4%A:x').toString('base64') } },
    ];
    for (const url of routes) {
      for (const body of bodies) {
        const response = await app.request({ method: 'POST', url, ...body });
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${url} ${JSON.stringify(body)} -> ${response.statusCode} ${response.body}`);
      }
    }
  });
});
