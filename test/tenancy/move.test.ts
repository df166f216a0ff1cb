import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { features } from '../../src/features.ts';
import type { MoveProgress } from '../../src/tenancy/placement.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { ON_CITUS } from '../support/database.ts';
import { probeFeature } from '../support/probe-feature.ts';

describe('moving a tenant to another node (plio org move)', () => {
  let app: TestApp;
  let schema: string;

  before(async () => {
    app = await startApp({}, { features: [...features, probeFeature] });
    schema = (await app.context.tenancy.organizations.create({ name: 'Movers', shortcode: 'movers' })).schemaName;
  });
  after(() => app.close());

  const organizations = () => app.context.tenancy.organizations;
  const write = (url: string) => app.request({ method: 'POST', url: '/probe/videos', headers: { organization: 'movers' }, payload: { url } });
  const nodeOf = async (shortcode: string) => (await organizations().list()).find((o) => o.shortcode === shortcode)!.node;

  it('is refused in one line on a single server', { skip: ON_CITUS && 'runs on a single server; a Citus cluster moves the tenant' }, async () => {
    await assert.rejects(organizations().move('movers', '127.0.0.1:5512'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CITUS_REQUIRED');
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    assert.equal(await nodeOf('movers'), null);
  });

  it('moves the schema to another worker under live traffic, losing nothing, and back', { skip: !ON_CITUS && 'needs a Citus cluster (npm test -- --db citus)' }, async () => {
    for (let i = 0; i < 50; i++) assert.equal((await write(`https://before.example/${i}`)).statusCode, 200);
    const from = (await nodeOf('movers'))!;
    const { rows } = await sql<{ node: string }>`
      select nodename || ':' || nodeport as node from pg_dist_node where groupid <> 0 and nodename || ':' || nodeport <> ${from}`.execute(app.context.db);
    const to = rows[0]!.node;

    // Requests keep coming while the schema moves: every one must succeed.
    let moving = true;
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; moving; i++) statuses.push((await write(`https://during.example/${i}`)).statusCode);
    })();
    const progress: MoveProgress[] = [];
    const result = await organizations().move('movers', to, (p) => progress.push(p));
    moving = false;
    await traffic;

    assert.deepEqual(result, { from, to, moved: true });
    assert.equal(await nodeOf('movers'), to);
    assert.ok(statuses.length > 0 && statuses.every((status) => status === 200), `statuses during the move: ${[...new Set(statuses)].join(', ')}`);
    const { rows: counted } = await sql<{ count: number }>`select count(*)::int as count from ${sql.table(`${schema}.video`)}`.execute(app.context.db);
    assert.equal(counted[0]!.count, 50 + statuses.length);
    // Keys go on from where they were, and the tenant answers from its schema.
    const after = (await write('https://after.example/1')).json();
    assert.equal(after.schema, schema);
    assert.equal(after.id, 50 + statuses.length + 1);
    for (const p of progress) assert.ok(p.totalBytes > 0 && p.copiedBytes >= 0, JSON.stringify(p));

    assert.deepEqual(await organizations().move('movers', to), { from: to, to, moved: false });
    assert.equal((await organizations().move('movers', from)).moved, true);
    assert.equal(await nodeOf('movers'), from);
  });

  it('refuses an unknown node, a malformed one and the public tenant', { skip: !ON_CITUS && 'needs a Citus cluster (npm test -- --db citus)' }, async () => {
    await assert.rejects(organizations().move('movers', '127.0.0.1:1'), /is not a node of this Citus cluster; its nodes are 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+/);
    await assert.rejects(organizations().move('movers', 'nowhere'), /expected HOST:PORT/);
    await assert.rejects(organizations().move(app.context.directory.publicTenant.shortcode, '127.0.0.1:1'), /public tenant cannot be moved/);
  });
});
