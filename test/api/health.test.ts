import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../support/app.ts';

describe('health, readiness and the API document', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  it('answers /health', async () => {
    const response = await app.request({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('is ready once migrations are current', async () => {
    const response = await app.request({ method: 'GET', url: '/ready' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready' });
  });

  it('serves the OpenAPI document under /api/v1/docs/', async () => {
    const page = await app.request({ method: 'GET', url: '/api/v1/docs/' });
    assert.equal(page.statusCode, 200);
    const document = await app.request({ method: 'GET', url: '/api/v1/docs/json' });
    assert.equal(document.json().openapi, '3.0.3');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const response = await app.request({ method: 'GET', url: '/api/v1/nothing-here/' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { detail: 'Not found.' });
  });
});
