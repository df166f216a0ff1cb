/**
 * Serving and operating 10,000 tenants on one PostgreSQL server.
 *
 *   npm run bench:scale [-- --tenants 10000 --rounds 3 --seconds 10 --connections 50]
 *   npm run bench:scale -- --only list          some parts (list, operator, migrate)
 *   npm run bench:scale -- --drop               drop the database at the end
 *
 * Builds `plio_scale_10k` on BENCH_POSTGRES_URL once (or reuses it: see
 * bench/scale-database.ts) and migrates it, timing any pending migrations.
 * Then, with `plio serve` in a child process (in-memory cache):
 *
 * - list: the plio list signed in as each tenant's creator, spread over the
 *   first 10, 1,000 and 10,000 tenants — every request names the next
 *   tenant in turn — after a warm-up that visits each tenant twice; the
 *   three spreads run interleaved, `--rounds` times, and the medians are
 *   quoted. During each run the server's RSS and every database backend's
 *   RSS and private memory (RssAnon) are sampled from /proc (PostgreSQL on
 *   this host), and database transactions per request are counted.
 * - operator: `plio org list`, `plio schemas`, `plio schemas --tables` as
 *   commands (process start included), and pages of the organization
 *   listing (`listPage`) in process.
 * - migrate: one additive tenant migration over every schema (timed), then
 *   undone (not timed) so the database stays at the released version.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sql, type Kysely } from 'kysely';
import { issueTokens } from '../src/accounts/tokens.ts';
import { SecretKey } from '../src/secret-key.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import type { DB } from '../src/db/schema.ts';
import { migrations } from '../src/migrations/index.ts';
import type { Migration } from '../src/tenancy/migration.ts';
import { createTenancy } from '../src/tenancy/tenancy.ts';
import { BENCH_POSTGRES_URL, runAdminStatement } from '../test/support/scratch-database.ts';
import { ensureScaleDatabase, PLIOS_PER_TENANT, scaleTenant } from './scale-database.ts';

const { values: options } = parseArgs({
  options: {
    tenants: { type: 'string', default: '10000' },
    database: { type: 'string', default: 'plio_scale_10k' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    port: { type: 'string', default: '18600' },
    only: { type: 'string', default: 'list,operator,migrate' },
    'migrate-concurrency': { type: 'string', default: '4' },
    drop: { type: 'boolean', default: false },
  },
});
const TENANTS = Number(options.tenants);
const ROUNDS = Number(options.rounds);
const SECONDS = Number(options.seconds);
const CONNECTIONS = Number(options.connections);
const PORT = Number(options.port);
const BASE = `http://127.0.0.1:${PORT}`;
const SPREADS = [10, 1000, TENANTS].filter((n, i, all) => n <= TENANTS && all.indexOf(n) === i);
const only = new Set(options.only.split(','));
/** Schemas migrated at once, one timed migration per figure given (`--migrate-concurrency 4,8`). */
const MIGRATE_CONCURRENCY = options['migrate-concurrency'].split(',').map(Number);
/** The key the benchmark's server hashes tokens under, so tokens issued here are its own. */
const SECRET_KEY = 'bench-scale-secret-key-0123456789abcdef';

const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, ${new Date().toISOString()}`);
console.log(`load average before: ${loadAverage()}`);

let started = performance.now();
const scale = await ensureScaleDatabase(BENCH_POSTGRES_URL, options.database, TENANTS);
console.log(`database ${options.database}: ${scale.tenants} tenants, ready in ${seconds(performance.now() - started)} s`);

const database = await openDatabase({ databaseUrl: scale.url, dataDir: '' }, { poolSize: Math.max(4, ...MIGRATE_CONCURRENCY) });
let server: ChildProcess | undefined;
let failed = false;
try {
  const tenancy = createTenancy(database.db, migrations);
  started = performance.now();
  const pending = await tenancy.migrator.run();
  if (pending.failed.length > 0) throw new Error(`migrating failed: ${pending.failed[0]!.error}`);
  console.log(`pending migrations: ${pending.results.length} schemas migrated in ${seconds(performance.now() - started)} s, ${pending.upToDate} up to date`);

  if (only.has('list')) await benchList(database);
  if (only.has('operator')) await benchOperator(database);
  if (only.has('migrate')) for (const concurrency of MIGRATE_CONCURRENCY) await benchMigration(database, concurrency);
  console.log(`\nload average after: ${loadAverage()}`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await stopServer();
  await database.close();
  if (options.drop) {
    await runAdminStatement(BENCH_POSTGRES_URL, `drop database if exists "${options.database}" with (force)`);
    console.log(`dropped ${options.database}`);
  }
}
process.exitCode = failed ? 1 : 0;

/** The list over 10, 1,000 and all tenants, interleaved, with memory samples. */
async function benchList(database: Database): Promise<void> {
  const signIns = await signInCreators(database.db, Math.max(...SPREADS));
  server = await startServer();
  await checkFixture(signIns.at(-1)!);
  const serverPid = server.pid!;
  const baseline = serverMemory(serverPid);
  console.log(`\nserver up: RSS ${mb(baseline)} MB`);

  const byRun: Record<number, Run[]> = {};
  for (const spread of SPREADS) {
    // Warm-up: every tenant of the spread twice (its credential, list page and plios cached).
    const warm = await load(signIns.slice(0, spread), { amount: Math.max(spread * 2, 1000) });
    if (warm.non2xx + warm.errors > 0) throw new Error(`warm-up over ${spread} tenants: ${warm.non2xx} non-2xx, ${warm.errors} errors`);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const spread of SPREADS) {
      const run = await measured(database.db, serverPid, signIns.slice(0, spread));
      (byRun[spread] ??= []).push(run);
      if (run.non2xx + run.errors > 0) failed = true;
      console.log(
        `round ${round}, ${spread} tenants: ${run.rps} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, ${run.xactsPerRequest.toFixed(2)} transactions/request, ` +
          `backends ≤ RSS ${mb(run.backendRss)} MB / private ${mb(run.backendPrivate)} MB (${run.backends} backends), server RSS ${mb(run.serverRss)} MB`,
      );
    }
  }
  const rows = SPREADS.map((spread) => {
    const runs = byRun[spread]!;
    return {
      tenants: spread,
      'req/s (median)': median(runs.map((r) => r.rps)),
      'p50 ms': median(runs.map((r) => r.p50)),
      'p99 ms (median)': median(runs.map((r) => r.p99)),
      'transactions/request': Number(median(runs.map((r) => r.xactsPerRequest)).toFixed(3)),
      'max backend RSS MB': mb(Math.max(...runs.map((r) => r.backendRss))),
      'max backend private MB': mb(Math.max(...runs.map((r) => r.backendPrivate))),
      'max server RSS MB': mb(Math.max(...runs.map((r) => r.serverRss))),
      'non-2xx': runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
    };
  });
  console.log(`\nplio list, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds interleaved, in-memory cache`);
  console.table(rows);
  const [few, all] = [rows[0]!, rows.at(-1)!];
  const throughput = all['req/s (median)'] / few['req/s (median)'];
  const tail = all['p99 ms (median)'] / few['p99 ms (median)'];
  console.log(`goal: throughput over ${all.tenants} / over ${few.tenants} = ${throughput.toFixed(2)} (>= 0.8: ${throughput >= 0.8 ? 'met' : 'NOT met'}); p99 ratio ${tail.toFixed(2)} (<= 2: ${tail <= 2 ? 'met' : 'NOT met'})`);
  const worst = Math.max(...rows.map((r) => r['max backend private MB']));
  console.log(`goal: no backend above 100 MB: private memory ${worst} MB (${worst <= 100 ? 'met' : 'NOT met'}); RSS, which also counts the shared buffers a backend touched, ${Math.max(...rows.map((r) => r['max backend RSS MB']))} MB`);
  await stopServer();
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  xactsPerRequest: number;
  backendRss: number;
  backendPrivate: number;
  backends: number;
  serverRss: number;
}

async function measured(db: Kysely<DB>, serverPid: number, signIns: SignIn[]): Promise<Run> {
  const samples: { rss: number; private: number; backends: number; server: number }[] = [];
  const sampler = setInterval(() => {
    void backendMemory(db).then((backends) => {
      samples.push({
        rss: Math.max(0, ...backends.map((b) => b.rss)),
        private: Math.max(0, ...backends.map((b) => b.private)),
        backends: backends.length,
        server: serverMemory(serverPid),
      });
    });
  }, 1000);
  const before = await transactions(db);
  const result = await load(signIns, { duration: SECONDS });
  clearInterval(sampler);
  // The statistics reach pg_stat_database when each backend reports (at most every second or so).
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const xacts = (await transactions(db)) - before;
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    xactsPerRequest: xacts / Math.max(1, result.requests.total),
    backendRss: Math.max(0, ...samples.map((s) => s.rss)),
    backendPrivate: Math.max(0, ...samples.map((s) => s.private)),
    backends: Math.max(0, ...samples.map((s) => s.backends)),
    serverRss: Math.max(serverMemory(serverPid), ...samples.map((s) => s.server)),
  };
}

interface SignIn {
  shortcode: string;
  authorization: string;
}

/** A fresh access token for the creator of each of the first `count` tenants (they expire in a day). */
async function signInCreators(db: Kysely<DB>, count: number): Promise<SignIn[]> {
  const emails = Array.from({ length: count }, (_, i) => scaleTenant(i).email);
  const users = await db.selectFrom('public.user').select(['id', 'email']).where('email', 'in', emails).execute();
  const idByEmail = new Map(users.map((user) => [user.email, user.id]));
  const signIns: SignIn[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const { shortcode, email } = scaleTenant(i);
      const id = idByEmail.get(email);
      if (id === undefined) throw new Error(`no creator for tenant ${i}`);
      signIns[i] = { shortcode, authorization: `Bearer ${(await issueTokens(db, new SecretKey(SECRET_KEY), id, null)).access_token}` };
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return signIns;
}

/** The plio list, each request signed in to the next tenant of `signIns` in turn. */
function load(signIns: SignIn[], limit: { duration?: number; amount?: number }): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url: BASE,
    connections: CONNECTIONS,
    ...limit,
    requests: [
      {
        method: 'GET',
        path: '/api/v1/plios/',
        setupRequest: (request) => {
          const signIn = signIns[next++ % signIns.length]!;
          return { ...request, headers: { ...request.headers, authorization: signIn.authorization, organization: signIn.shortcode } };
        },
      },
    ],
  });
}

/** Commands as an operator types them, and pages of the organization listing. */
async function benchOperator(database: Database): Promise<void> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: scale.url, LOG_LEVEL: 'silent' };
  delete env.REDIS_URL;
  console.log('\noperator commands (wall time, process start included):');
  for (const args of [['org', 'list'], ['schemas'], ['schemas', '--tables']]) {
    const times: number[] = [];
    let lines = 0;
    for (let i = 0; i < 3; i++) {
      const begin = performance.now();
      const run = spawnSync(process.execPath, ['bin/plio.js', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
      times.push(performance.now() - begin);
      if (run.status !== 0) throw new Error(`plio ${args.join(' ')}: ${run.stderr}`);
      lines = run.stdout.split('\n').length - 1;
    }
    console.log(`  plio ${args.join(' ')}: median ${seconds(median(times))} s (${times.map((t) => seconds(t)).join(', ')}), ${lines} lines`);
  }
  const tenancy = createTenancy(database.db, migrations);
  const organizations = tenancy.organizations;
  const middle = scaleTenant(Math.floor(scale.tenants / 2)).shortcode;
  const cases: [string, () => Promise<unknown>][] = [
    ['first page of 50', () => organizations.listPage({ limit: 50 })],
    [`page of 50 after ${middle}`, () => organizations.listPage({ limit: 50, after: middle })],
    ['search "scale99" (111 matches), first page', () => organizations.listPage({ search: 'scale99', limit: 50 })],
  ];
  console.log('organization listing, in process (median of 5):');
  for (const [label, page] of cases) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const begin = performance.now();
      await page();
      times.push(performance.now() - begin);
    }
    console.log(`  ${label}: ${median(times).toFixed(0)} ms`);
  }
}

/** One additive migration over every schema, timed; then undone. */
async function benchMigration(database: Database, concurrency: number): Promise<void> {
  const probe: Migration = { name: '9999-bench-scale-probe', sql: 'alter table video add column bench_scale_probe text' };
  const probed = { shared: migrations.shared, tenant: Object.freeze([...migrations.tenant, probe]) };
  const migrator = createTenancy(database.db, probed).migrator;
  const begin = performance.now();
  const report = await migrator.run({ shared: false, concurrency });
  const elapsed = performance.now() - begin;
  console.log(
    `\none additive migration: ${report.results.length} schemas in ${seconds(elapsed)} s (concurrency ${concurrency}), ${report.failed.length} failed` +
      ` — goal <= 30 s: ${elapsed <= 30_000 && report.failed.length === 0 ? 'met' : 'NOT met'}`,
  );
  await undoProbe(database.db, probe.name);
}

/** Takes the probe migration back out of every schema, so the database stays at the released version. */
async function undoProbe(db: Kysely<DB>, name: string): Promise<void> {
  const { rows } = await sql<{ schema_name: string }>`select schema_name from public.organization where schema_version is not null`.execute(db);
  const schemas = rows.map((row) => row.schema_name);
  let next = 0;
  const worker = async () => {
    while (next < schemas.length) {
      const schema = schemas[next++]!;
      await db.transaction().execute(async (trx) => {
        await sql.raw(`alter table "${schema}".video drop column if exists bench_scale_probe`).execute(trx);
        await sql.raw(`delete from "${schema}".plio_migration where name = '${name}'`).execute(trx);
      });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  await sql`update public.organization set schema_version = ${migrations.tenant.length} where schema_version is not null`.execute(db);
}

/** Every other backend on the bench database: RSS and private memory in bytes, from /proc. */
async function backendMemory(db: Kysely<DB>): Promise<{ pid: number; rss: number; private: number }[]> {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db);
  return rows.flatMap(({ pid }) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return [{ pid, rss: statusBytes(status, 'VmRSS'), private: statusBytes(status, 'RssAnon') }];
    } catch {
      return []; // the backend exited meanwhile
    }
  });
}

function serverMemory(pid: number): number {
  try {
    return statusBytes(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
  } catch {
    return 0;
  }
}

function statusBytes(status: string, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
}

async function transactions(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select (xact_commit + xact_rollback)::bigint as n from pg_stat_database where datname = current_database()`.execute(db);
  return Number(rows[0]!.n);
}

/** `plio serve` in a child process on the scale database, once it answers /ready. */
async function startServer(): Promise<ChildProcess> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: scale.url, SECRET_KEY, PORT: String(PORT), LOG_LEVEL: 'info' };
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['bin/plio.js', 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const begin = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (await fetch(`${BASE}/ready`).then((r) => r.ok, () => false)) break;
    if (performance.now() - begin > 120_000) {
      child.kill('SIGTERM');
      throw new Error('server did not become ready in 120 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}

/** A tenant's list answers its plios: the fixture is what the run measures. */
async function checkFixture(signIn: SignIn): Promise<void> {
  const response = await fetch(`${BASE}/api/v1/plios/`, { headers: { authorization: signIn.authorization, organization: signIn.shortcode } });
  const body = (await response.json()) as { count?: number };
  if (!response.ok || body.count !== PLIOS_PER_TENANT) throw new Error(`unexpected list: HTTP ${response.status}, count ${body.count}`);
}

async function stopServer(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server!.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

