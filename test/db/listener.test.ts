/**
 * PostgreSQL drops a session's notifications with the session: when the
 * listening connection is lost, the app reconnects, listens again and forgets
 * what it derived from notifications it may have missed.
 */
import assert from 'node:assert/strict';
import { SERVING_LOCK } from '../../src/tenancy/reload-confirmations.ts';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { cacheFor, cacheKey } from '../../src/cache/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { TEST_DATABASE } from '../support/database.ts';

/** Polls `check` until it holds or `ms` pass; answers whether it held. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

// Only PostgreSQL has a listening connection to lose; the embedded database has no other process.
if (TEST_DATABASE === 'postgres') describe('a lost listening connection', () => {
  let app: TestApp;
  /** Another session on the same database, standing for another server process. */
  let other: pg.Client;

  before(async () => {
    app = await startApp();
    other = new pg.Client({ connectionString: app.database.url });
    await other.connect();
  });
  after(async () => {
    await other?.end();
    await app?.close();
  });

  /** Kills the app's listening backend: one connection listens on every channel. */
  const terminateListener = async () => {
    // The listening session is the one holding the serving lock (its last query may be a confirmation).
    const { rows } = await other.query(
      `select pg_terminate_backend(pid) as terminated from pg_locks
       where locktype = 'advisory' and classid = $1::int4::oid and objid = $2::int4::oid and objsubid = 2
         and database = (select oid from pg_database where datname = current_database())`,
      [...SERVING_LOCK],
    );
    assert.deepEqual(rows, [{ terminated: true }]);
  };

  /** Maps `plio.test/<segment>` to the public organization, from the other session. */
  const addDomain = (segment: string, notify: boolean) =>
    other.query(
      `with added as (
         insert into public.domain (domain, tenant_id, is_primary)
         select $1, id, false from public.organization where schema_name = 'public'
         returning 1)
       select count(*)::int as added, case when $2 then pg_notify('plio_tenancy_changed', '') end from added`,
      [`plio.test/${segment}`, notify],
    );

  /** Whether the app's directory knows the domain: URL rewriting strips the segment then, and /health answers. */
  const knows = async (segment: string) =>
    (await app.request({ method: 'GET', url: `/${segment}/health`, headers: { host: 'plio.test' } })).statusCode === 200;

  it('reloads the tenant directory once it listens again, then hears notifications on the new connection', async () => {
    // Made without NOTIFY: only the reload after reconnecting can reveal it.
    assert.equal((await addDomain('unnoticed', false)).rows[0].added, 1);
    assert.equal(await knows('unnoticed'), false);
    await terminateListener();
    assert.ok(await eventually(() => knows('unnoticed')), 'the directory did not reload after reconnecting');

    assert.equal((await addDomain('notified', true)).rows[0].added, 1);
    assert.ok(await eventually(() => knows('notified')), 'the new connection did not hear the NOTIFY');
  });

  it('clears the in-memory cache once it listens again', async () => {
    const cache = cacheFor(app.context);
    const key = cacheKey('public', 'listener-test', 1);
    await cache.set(key, 'cached before the connection was lost');
    assert.equal(await cache.get(key), 'cached before the connection was lost');
    await terminateListener();
    assert.ok(await eventually(async () => (await cache.get(key)) === undefined), 'the cache kept its entries');
  });

  it('listens on DATABASE_LISTEN_URL when it is set (a direct connection next to a pooler)', async () => {
    const listenUrl = new URL(app.database.url!);
    listenUrl.searchParams.set('application_name', 'plio-listen-url-test');
    const database = await openDatabase({ databaseUrl: app.database.url, dataDir: '', databaseListenUrl: listenUrl.toString() });
    try {
      const heard: string[] = [];
      await database.listen('plio_listen_url_test', (payload) => heard.push(payload));
      const { rows } = await other.query(`select query from pg_stat_activity where application_name = 'plio-listen-url-test'`);
      assert.deepEqual(rows.map((row) => row.query.toLowerCase()), ['listen "plio_listen_url_test"']);
      await other.query(`select pg_notify('plio_listen_url_test', 'hello')`);
      assert.ok(await eventually(async () => heard.includes('hello')), 'nothing was heard on the listen URL');
    } finally {
      await database.close();
    }
  });
});
