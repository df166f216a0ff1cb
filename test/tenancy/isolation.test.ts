import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { features } from '../../src/features.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { probeFeature } from '../support/probe-feature.ts';

describe('tenant isolation', () => {
  let app: TestApp;
  const tenants: { shortcode: string; schema: string }[] = [{ shortcode: '', schema: 'public' }];

  before(async () => {
    app = await startApp({}, { features: [...features, probeFeature] });
    for (const shortcode of ['alpha', 'beta', 'gamma', 'delta']) {
      const organization = await app.context.tenancy.organizations.create({ name: shortcode, shortcode });
      tenants.push({ shortcode, schema: organization.schemaName });
    }
  });
  after(() => app.close());

  const write = (shortcode: string, url: string, path = '/probe/videos') =>
    app.request({ method: 'POST', url: path, headers: { organization: shortcode }, payload: { url } });

  it('gives the same id in two tenants to two different rows', async () => {
    const a = (await write('alpha', 'https://alpha.example/first')).json();
    const b = (await write('beta', 'https://beta.example/first')).json();
    assert.equal(a.id, 1);
    assert.equal(b.id, 1);
    const readA = await app.request({ method: 'GET', url: '/probe/videos/1', headers: { organization: 'alpha' } });
    const readB = await app.request({ method: 'GET', url: '/probe/videos/1', headers: { organization: 'beta' } });
    assert.equal(readA.json().url, 'https://alpha.example/first');
    assert.equal(readB.json().url, 'https://beta.example/first');
    const readGamma = await app.request({ method: 'GET', url: '/probe/videos/1', headers: { organization: 'gamma' } });
    assert.equal(readGamma.statusCode, 404);
  });

  it('keeps hundreds of interleaved concurrent writes in their own schemas', async () => {
    const operations = Array.from({ length: 400 }, (_, i) => {
      const tenant = tenants[(i * 7) % tenants.length]!;
      const path = i % 2 === 0 ? '/probe/videos' : '/probe/raw-videos';
      return { tenant, path, url: `https://${tenant.schema}.example/${i}` };
    });
    // Shuffle deterministically so consecutive requests hit different tenants and paths.
    operations.sort((x, y) => ((x.url.length * 31 + y.url.charCodeAt(10)) % 3) - 1);
    const responses = await Promise.all(operations.map((op) => write(op.tenant.shortcode, op.url, op.path)));
    responses.forEach((response, i) => {
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().schema, operations[i]!.tenant.schema, `request ${i} answered from the wrong schema`);
    });
    for (const tenant of tenants) {
      const rows = await app.context.db.withSchema(tenant.schema).selectFrom('video').select('url').execute();
      const mine = rows.filter((row) => row.url.includes('.example/') && !row.url.endsWith('/first'));
      assert.equal(mine.length, operations.filter((op) => op.tenant === tenant).length, tenant.schema);
      assert.ok(
        rows.every((row) => row.url.startsWith(`https://${tenant.schema}.example/`) || row.url.endsWith('/first')),
        `a row of another tenant landed in ${tenant.schema}`,
      );
    }
  });

  it('leaves no search_path behind on pooled connections', async () => {
    // Raw-SQL requests set search_path for their transaction only: plain
    // queries afterwards, on any pooled connection, still see public first.
    const checks = await Promise.all(
      Array.from({ length: 20 }, () => app.context.db.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('schema')).executeTakeFirstOrThrow()),
    );
    assert.ok(checks.every((row) => row.schema === 'public'));
  });
});
