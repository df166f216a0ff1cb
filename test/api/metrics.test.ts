import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/users.ts';

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((row) => row.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  const scrape = async () => {
    const response = await app.request({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return response.body;
  };

  it('counts requests by route pattern and status, with latency histograms', async () => {
    await app.request({ method: 'GET', url: '/api/v1/organizations/4242/' });
    await app.request({ method: 'GET', url: '/api/v1/organizations/4343/' });
    await app.request({ method: 'GET', url: '/no/such/page/4444' });
    const text = await scrape();
    const labels = 'method="GET",route="/api/v1/organizations/:id/",status_code="401"';
    assert.equal(sample(text, 'plio_http_requests_total', labels), 2);
    assert.equal(sample(text, 'plio_http_request_duration_seconds_count', labels), 2);
    assert.ok(text.includes(`plio_http_request_duration_seconds_bucket{le="0.005",${labels}}`));
    assert.equal(sample(text, 'plio_http_requests_total', 'method="GET",route="unmatched",status_code="404"'), 1);
    // Patterns, never URLs.
    assert.ok(!text.includes('4242') && !text.includes('4444'));
  });

  it('counts organizations and schemas behind without naming any tenant', async () => {
    const before = sample(await scrape(), 'plio_organizations');
    const created = await app.context.tenancy.organizations.create({ name: 'Metrics Org', shortcode: 'metrics-org' });
    const text = await scrape();
    assert.equal(sample(text, 'plio_organizations'), before! + 1);
    assert.equal(sample(text, 'plio_schemas_behind'), 0);
    assert.ok(!text.includes(created.schemaName) && !text.includes('metrics-org'));
  });

  it("counts the cache's hits and misses", async () => {
    const user = await createUser(app);
    const start = await scrape();
    for (let i = 0; i < 3; i++) {
      assert.equal((await app.request({ method: 'GET', url: '/api/v1/plios/', headers: user.headers() })).statusCode, 200);
    }
    const text = await scrape();
    const grew = (name: string) => sample(text, name)! - sample(start, name)!;
    assert.ok(grew('plio_cache_misses_total') >= 1, 'the first list is a miss');
    assert.ok(grew('plio_cache_hits_total') >= 1, 'a repeated list is a hit');
  });

  it("shows the database pool's connections on PostgreSQL", async () => {
    const text = await scrape();
    if (app.database.kind === 'postgres') {
      assert.ok(sample(text, 'plio_db_pool_max')! >= 1);
      assert.ok(sample(text, 'plio_db_pool_in_use')! >= 0);
      assert.equal(sample(text, 'plio_db_pool_waiting'), 0);
    } else {
      // The embedded database has one in-process handle and no pool to report.
      assert.equal(sample(text, 'plio_db_pool_max'), undefined);
    }
    assert.ok(sample(text, 'process_resident_memory_bytes')! > 0);
  });
});
