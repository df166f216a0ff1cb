/**
 * A database outage, against a server on a PostgreSQL cluster of the test's
 * own: stopped, frozen (SIGSTOP), and too slow (a held lock). Every answer
 * meanwhile is a 503 with `Retry-After` within a bound, `/ready` answers
 * within a second, and the server recovers by itself.
 *
 * The bounds are generous (the point is "bounded, not hanging"); how fast is
 * for benchmarks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { boot, type Running } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { PGBOUNCER, startPgBouncer, startScratchCluster, type ScratchCluster, type ScratchPgBouncer } from '../support/scratch-cluster.ts';
import { TEST_DATABASE } from '../support/database.ts';
import { createUser, type TestUser } from '../support/users.ts';
import type { TestApp } from '../support/app.ts';

/** What the test configures: short, so that the test is quick; the defaults are in src/config.ts. */
const TIMEOUTS = { DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '1000', DATABASE_ACQUIRE_TIMEOUT_MS: '2000' };
/** An outage answer must come within this (statement timeout + grace + acquire, with room for a loaded machine). */
const ANSWER_BOUND_MS = 10_000;
const READY_BOUND_MS = 1000;

const embedded = TEST_DATABASE === 'embedded' && 'tests a network database (stop, freeze): runs in the PostgreSQL pass; the embedded one is in-process';
/** PgBouncer's port: one of this test's own (18300–18399). */
const PGBOUNCER_PORT = 18301;

outageSuite('database outage: 503 with Retry-After, /ready within 1 s, recovery', embedded);
outageSuite(
  'database outage behind PgBouncer (transaction mode)',
  embedded || (!PGBOUNCER && 'PgBouncer is not installed (apt-get install pgbouncer; .ci/run installs it)'),
  true,
);

function outageSuite(name: string, skip: string | false, throughPgBouncer = false) {
  describe(name, { skip }, () => {
    let cluster: ScratchCluster;
    let pooler: ScratchPgBouncer | undefined;
    let running: Running;
    let user: TestUser;

    before(async () => {
      cluster = await startScratchCluster();
      const admin = new pg.Client({ connectionString: cluster.adminUrl });
      await admin.connect();
      await admin.query('create database plio');
      await admin.end();
      pooler = throughPgBouncer ? await startPgBouncer(cluster, PGBOUNCER_PORT) : undefined;
      const url = pooler?.url('plio') ?? cluster.adminUrl.replace(/\/postgres$/, '/plio');
      // LISTEN needs a session: behind PgBouncer in transaction mode it goes to the server itself.
      const listenUrl = cluster.adminUrl.replace(/\/postgres$/, '/plio');
      running = await boot(loadConfig({ DATABASE_URL: url, DATABASE_LISTEN_URL: listenUrl, LOG_LEVEL: 'silent', ...TIMEOUTS }), { log: pino({ level: process.env.OUTAGE_LOG ?? 'silent' }) });
      user = await createUser({ context: running.context } as TestApp);
    });
    after(async () => {
      cluster?.thaw();
      await running?.close();
      await pooler?.stop();
      await cluster?.destroy();
    });

    const timed = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) => {
      const start = performance.now();
      const response = await running.app.inject({ method, url, headers });
      return { response, ms: performance.now() - start };
    };
    // A search of its own each time: list pages are cached, and the point is to reach the database.
    let searches = 0;
    const listPlios = () => timed('GET', `/api/v1/plios/?search=s${++searches}`, user.headers(''));
    const createPlio = () => timed('POST', '/api/v1/plios/', user.headers(''));

    const assertUnavailable = async (label: string, call: () => Promise<{ response: Awaited<ReturnType<Running['app']['inject']>>; ms: number }>, bound: number) => {
      const { response, ms } = await call();
      assert.equal(response.statusCode, 503, `${label}: ${response.statusCode} ${response.body}`);
      assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/, `${label}: Retry-After`);
      assert.equal(typeof response.json().detail, 'string', `${label}: {"detail": …}`);
      assert.ok(ms < bound, `${label} answered after ${Math.round(ms)} ms (bound ${bound} ms)`);
    };

    /** Recovery without a restart: the same server answers again once the database is back. */
    const assertRecovers = async () => {
      const deadline = Date.now() + 30_000;
      let last = 0;
      while (Date.now() < deadline) {
        last = (await timed('GET', '/ready')).response.statusCode;
        if (last === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(last, 200, '/ready once the database is back');
      assert.equal((await listPlios()).response.statusCode, 200);
      assert.equal((await createPlio()).response.statusCode, 201);
    };

    it('serves while the database is up', async () => {
      assert.equal((await timed('GET', '/ready')).response.statusCode, 200);
      assert.equal((await createPlio()).response.statusCode, 201);
      assert.equal((await listPlios()).response.statusCode, 200);
    });

    it('answers 503 while the database is stopped, and recovers when it is started', async () => {
      await cluster.stop();
      try {
        await assertUnavailable('GET /ready', () => timed('GET', '/ready'), READY_BOUND_MS);
        await assertUnavailable('GET /api/v1/plios/', listPlios, ANSWER_BOUND_MS);
        await assertUnavailable('POST /api/v1/plios/', createPlio, ANSWER_BOUND_MS);
      } finally {
        await cluster.start();
      }
      await assertRecovers();
    });

    it('answers 503 within a bound while the database is frozen, and recovers when it thaws', async () => {
      // Warm connections first: the pool holds open ones that will go silent.
      await Promise.all(Array.from({ length: 4 }, () => listPlios()));
      cluster.freeze();
      try {
        await assertUnavailable('GET /ready', () => timed('GET', '/ready'), READY_BOUND_MS);
        await assertUnavailable('GET /api/v1/plios/', listPlios, ANSWER_BOUND_MS);
        // A burst: more requests than pooled connections, all bounded.
        const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? createPlio() : listPlios())));
        for (const { response, ms } of burst) {
          assert.equal(response.statusCode, 503, response.body);
          assert.ok(ms < 2 * ANSWER_BOUND_MS, `a request of the burst answered after ${Math.round(ms)} ms`);
        }
        await assertUnavailable('GET /ready (again)', () => timed('GET', '/ready'), READY_BOUND_MS);
      } finally {
        cluster.thaw();
      }
      await assertRecovers();
    });

    it('answers 503 when a statement outlasts the statement timeout (a lock held elsewhere), and serves once it is released', async () => {
      const holder = new pg.Client({ connectionString: cluster.adminUrl.replace(/\/postgres$/, '/plio') });
      await holder.connect();
      try {
        await holder.query('begin');
        await holder.query('lock table public.plio in access exclusive mode');
        await assertUnavailable('GET /api/v1/plios/ behind a lock', listPlios, ANSWER_BOUND_MS);
        await holder.query('rollback');
      } finally {
        await holder.end();
      }
      assert.equal((await listPlios()).response.statusCode, 200);
    });
  });
}
