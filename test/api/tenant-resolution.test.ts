import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { features } from '../../src/features.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { probeFeature } from '../support/probe-feature.ts';

describe('request -> tenant resolution', () => {
  let app: TestApp;
  let afSchema: string;
  const where = async (headers: Record<string, string>, url = '/probe/where') => {
    const response = await app.request({ method: 'GET', url, headers });
    return { status: response.statusCode, body: response.json() };
  };

  before(async () => {
    app = await startApp({ DEFAULT_TENANT_DOMAIN: 'plio.in' }, { features: [...features, probeFeature] });
    const af = await app.context.tenancy.organizations.create({ name: 'Avanti Fellows', shortcode: 'af', domain: 'plio.in/avantifellows' });
    afSchema = af.schemaName;
    await app.context.tenancy.domains.create({ domain: 'af.example.org', tenant: af });
  });
  after(() => app.close());

  it('uses the Organization header: a shortcode names the tenant', async () => {
    assert.deepEqual((await where({ organization: 'af' })).body.schema, afSchema);
  });

  it('serves the personal workspace for an empty Organization header', async () => {
    assert.equal((await where({ organization: '' })).body.schema, 'public');
  });

  it('answers an unknown Organization header with 404, never another schema', async () => {
    const { status, body } = await where({ organization: 'no-such-org' });
    assert.equal(status, 404);
    assert.deepEqual(body, { detail: 'Organization not found.' });
  });

  it('falls back to the host: a domain names its tenant', async () => {
    assert.equal((await where({ host: 'af.example.org' })).body.schema, afSchema);
    assert.equal((await where({ host: 'plio.in' })).body.schema, 'public');
  });

  it('matches host plus first path segment and strips the segment before routing', async () => {
    const { status, body } = await where({ host: 'plio.in' }, '/avantifellows/probe/where?x=1');
    assert.equal(status, 200);
    assert.equal(body.schema, afSchema);
    assert.equal(body.url, '/probe/where?x=1');
  });

  it('serves unknown hosts from the public tenant', async () => {
    assert.equal((await where({ host: 'unknown.example' })).body.schema, 'public');
  });

  it('prefers the header over the domain', async () => {
    assert.equal((await where({ host: 'af.example.org', organization: '' })).body.schema, 'public');
  });

  it('sees organizations and domains created or deleted after start at once', async () => {
    const late = await app.context.tenancy.organizations.create({ name: 'Late', shortcode: 'late' });
    assert.equal((await where({ organization: 'late' })).body.schema, late.schemaName);
    await app.context.tenancy.domains.create({ domain: 'late.example', tenant: late });
    assert.equal((await where({ host: 'late.example' })).body.schema, late.schemaName);
    await app.context.tenancy.organizations.delete('late');
    assert.equal((await where({ organization: 'late' })).status, 404);
    assert.equal((await where({ host: 'late.example' })).body.schema, 'public');
  });

  it('answers CORS preflights for the web client', async () => {
    const response = await app.request({
      method: 'OPTIONS',
      url: '/api/v1/plios/',
      headers: {
        origin: 'https://app.plio.in',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,content-type,organization',
      },
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.plio.in');
    const allowed = String(response.headers['access-control-allow-headers']);
    for (const header of ['authorization', 'content-type', 'organization']) assert.ok(allowed.includes(header), header);
    assert.ok(String(response.headers['access-control-allow-methods']).includes('PATCH'));
  });
});

describe('CORS_ORIGINS narrows the allowed origins', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ CORS_ORIGINS: 'https://app.plio.in' });
  });
  after(() => app.close());

  it('allows the listed origin only', async () => {
    const preflight = (origin: string) =>
      app.request({ method: 'OPTIONS', url: '/api/v1/plios/', headers: { origin, 'access-control-request-method': 'GET' } });
    assert.equal((await preflight('https://app.plio.in')).headers['access-control-allow-origin'], 'https://app.plio.in');
    assert.equal((await preflight('https://evil.example')).headers['access-control-allow-origin'], undefined);
  });
});
