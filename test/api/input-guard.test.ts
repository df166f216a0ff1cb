/**
 * The input guard's answers, one case per finding of issue 9 item 3: a 400
 * with a clear message before anything reaches a query, and nothing stored.
 * (test/api/fuzz runs every kind against every operation.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../support/app.ts';
import { createUser, type TestUser } from '../support/users.ts';
import { buildPlio, client, type Client } from './content/fixtures.ts';

describe('input guard', () => {
  let app: TestApp;
  let creator: TestUser;
  let as: Client;
  let plioUuid: string;
  let apiKey: string;

  before(async () => {
    app = await startApp();
    creator = await createUser(app, { isSuperuser: true });
    as = client(app, creator);
    plioUuid = (await buildPlio(as)).uuid;
    apiKey = (await as.post('/api/v1/organizations/', { name: 'Guarded', shortcode: 'guarded' })).json().api_key;
  });
  after(() => app.close());

  const raw = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: string, headers: Record<string, string> = {}) =>
    app.request({ method, url, headers: { ...creator.headers(''), 'content-type': 'application/json', ...headers }, ...(payload !== undefined && { payload }) });
  const count = async (table: 'plio' | 'public.user' | 'public.organization_user') =>
    Number((await app.context.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const assert400 = (response: Awaited<ReturnType<TestApp['request']>>, detail: RegExp) => {
    assert.equal(response.statusCode, 400, response.body);
    assert.match(response.json().detail, detail);
  };

  it('refuses a JSON body that is null or not an object, and creates nothing', async () => {
    const before = await count('plio');
    for (const body of ['null', '[]', '"plio"', '12', 'true']) {
      assert400(await raw('POST', '/api/v1/plios/', body), /Expected a JSON object/);
    }
    assert.equal(await count('plio'), before);
  });

  it('still creates a plio from a request with no body (the reference does), with or without a JSON content type', async () => {
    const bare = await app.request({ method: 'POST', url: '/api/v1/plios/', headers: creator.headers('') });
    assert.equal(bare.statusCode, 201, bare.body);
    assert.ok(bare.json().uuid && bare.json().id);
    const empty = await raw('POST', '/api/v1/plios/', '');
    assert.equal(empty.statusCode, 201, empty.body);
  });

  it('refuses JSON nested 5,000 deep before parsing it, as a body or inside a field', async () => {
    assert400(await raw('POST', '/api/v1/plios/', '['.repeat(5000) + ']'.repeat(5000)), /deeper than 64/);
    assert400(await raw('POST', '/api/v1/plios/', `{"name":"p","config":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`), /deeper than 64/);
    assert400(await raw('PATCH', `/api/v1/users/${creator.id}/config/`, `{"config":${'['.repeat(5000)}${']'.repeat(5000)}}`), /deeper than 64/);
    // Brackets inside strings are text, not nesting.
    assert.equal((await raw('POST', '/api/v1/plios/', JSON.stringify({ name: '['.repeat(100) }))).statusCode, 201);
  });

  it('refuses NUL and unpaired surrogates in values and keys, on every feature', async () => {
    assert400(await raw('POST', '/api/v1/plios/', JSON.stringify({ name: 'a\u0000b' })), /Null characters/);
    assert400(await raw('PATCH', `/api/v1/users/${creator.id}/`, JSON.stringify({ first_name: 'a\u0000' })), /Null characters/);
    assert400(await raw('PATCH', `/api/v1/users/${creator.id}/setting/`, JSON.stringify({ ['k\u0000']: 1 })), /Null characters are not allowed \(in a field name\)/);
    assert400(await raw('PATCH', `/api/v1/users/${creator.id}/config/`, JSON.stringify({ config: { ['\uD800']: 1 } })), /Unpaired surrogate/);
    assert400(await raw('POST', '/api/v1/organizations/', JSON.stringify({ name: 'x\uDC00', shortcode: 'x' })), /Unpaired surrogate/);
  });

  it('refuses NUL in the SSO route before it looks anything up, and creates no user', async () => {
    const before = await count('public.user');
    const sso = (body: Record<string, string>) =>
      app.request({ method: 'POST', url: '/auth/generate-external-auth-access-token/', payload: body });
    assert400(await sso({ api_key: `${apiKey}\u0000`, unique_id: 'learner' }), /Null characters/);
    assert400(await sso({ api_key: apiKey, unique_id: 'lear\u0000ner' }), /Null characters/);
    const form = await app.request({
      method: 'POST',
      url: '/auth/generate-external-auth-access-token/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `api_key=${apiKey}&unique_id=a%00b`,
    });
    assert400(form, /Null characters/);
    assert.equal(await count('public.user'), before);
  });

  it('refuses %00 and malformed escapes in paths and query strings (metrics, download_data, lists)', async () => {
    assert400(await raw('GET', '/api/v1/plios/%00/metrics/'), /Null characters are not allowed \(in the URL\)/);
    assert400(await raw('GET', '/api/v1/plios/%00/download_data/'), /Null characters are not allowed \(in the URL\)/);
    assert400(await raw('GET', '/api/v1/plios/?search=%ED%A0%80'), /Malformed percent-encoding/);
    assert400(await raw('GET', '/api/v1/plios/?search=%'), /Malformed percent-encoding/);
    assert400(await raw('GET', '/api/v1/users/?email=a%00b'), /Null characters/);
    // An unknown uuid is still the reference's 404.
    assert.equal((await raw('GET', '/api/v1/plios/nosuchplio/metrics/')).statusCode, 404);
    assert.equal((await raw('GET', `/api/v1/plios/${plioUuid}/metrics/`)).statusCode, 200);
  });

  it('refuses NUL in headers, the Organization header included', async () => {
    assert400(await raw('GET', '/api/v1/plios/', undefined, { organization: 'guarded\u0000' }), /Null characters are not allowed \(in the organization header\)/);
    assert400(await raw('GET', '/api/v1/plios/', undefined, { authorization: 'Bearer a\u0000b' }), /Null characters are not allowed \(in the authorization header\)/);
  });

  it('answers broken multipart on image upload with a 400', async () => {
    const boundary = '----b';
    for (const [payload, type] of [
      [`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="a.png"\r\n\r\n\x89PNG`, `multipart/form-data; boundary=${boundary}`],
      ['garbage', 'multipart/form-data'],
      [`--${boundary}\r\n\r\n\r\n--${boundary}--\r\n`, `multipart/form-data; boundary=${boundary}`],
    ] as const) {
      const response = await raw('POST', '/api/v1/images/', payload, { 'content-type': type });
      assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.statusCode} ${response.body}`);
    }
  });

  it('answers numbers past bigint and an unknown membership role with a 4xx, storing nothing', async () => {
    const plios = await count('plio');
    assert.equal((await raw('POST', '/api/v1/plios/', JSON.stringify({ name: 'p', video: 2 ** 64 }))).statusCode, 400);
    assert.equal((await raw('POST', '/api/v1/items/', `{"plio": 1${'0'.repeat(30)}, "time": 1}`)).statusCode, 400);
    assert400(await raw('POST', '/api/v1/plios/', '{"name": "p", "config": {"x": 1e400}}'), /finite/);
    assert.equal(await count('plio'), plios);
    const member = await createUser(app);
    const memberships = await count('public.organization_user');
    const organization = (await as.get('/api/v1/organizations/')).json().find((org: { shortcode: string }) => org.shortcode === 'guarded');
    for (const role of [999_999, 'emperor', -1, 2 ** 64]) {
      const response = await as.post('/api/v1/organization-users/', { user: member.id, organization: organization.id, role });
      assert.ok(response.statusCode >= 400 && response.statusCode < 500, `role ${role}: ${response.statusCode} ${response.body}`);
    }
    assert.equal(await count('public.organization_user'), memberships);
  });
});
