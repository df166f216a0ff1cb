/**
 * Throughput and latency of the content API under load, on PostgreSQL: the
 * plio list, a plio detail with 20 questions and session creation, signed
 * in, in an organization workspace among 1,000 tenants.
 *
 *   npm run bench:content [-- --tenants 1000 --connections 50 --seconds 10 --log-level info]
 *   npm run bench:content -- --only list,health,auth      some runs (list, detail, session; health, auth)
 *   npm run bench:content -- --server-node-args="--cpu-prof --cpu-prof-dir /tmp/prof"
 *
 * Creates a scratch database on BENCH_POSTGRES_URL (default: the local
 * server as postgres) and provisions the tenants, the users and their tokens
 * in this process. The server is `node bin/plio.js serve` in a child process
 * (in-memory cache unless `--redis`, `LOG_LEVEL` as given, request logs discarded), so that
 * the load generator (autocannon, in this process) does not share its event
 * loop. The plios are made over HTTP as the web client makes them. Each
 * endpoint gets a short warm-up, then a measured run; any non-2xx answer or
 * socket error fails the run. The database is dropped at the end, also on
 * failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pino from 'pino';
import { issueTokens } from '../src/accounts/tokens.ts';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { BENCH_POSTGRES_URL, createScratchDatabase } from '../test/support/scratch-database.ts';

const { values: options } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    'warm-up-seconds': { type: 'string', default: '3' },
    'log-level': { type: 'string', default: 'info' },
    port: { type: 'string', default: '18301' },
    'server-node-args': { type: 'string', default: '' },
    only: { type: 'string', default: 'list,detail,session' },
    // e.g. `--redis redis://127.0.0.1:6379/3`: the server caches in Redis, as several instances would
    redis: { type: 'string' },
  },
});
const TENANTS = Number(options.tenants);
const CONNECTIONS = Number(options.connections);
const SECONDS = Number(options.seconds);
const WARM_UP_SECONDS = Number(options['warm-up-seconds']);
const PORT = Number(options.port);
const PLIOS = 20;
const QUESTIONS = 20;
const BASE = `http://127.0.0.1:${PORT}`;
const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

let server: ChildProcess | undefined;
let failed = false;
const scratch = await createScratchDatabase('plio_bench', BENCH_POSTGRES_URL);
try {
  console.log(`${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`load average before: ${loadAverage()}`);

  const seedStarted = performance.now();
  const { shortcode, creatorToken, learnerTokens } = await provision();
  console.log(`provisioned ${TENANTS} organizations and ${learnerTokens.length + 1} users in ${seconds(performance.now() - seedStarted)} s`);

  server = await startServer();
  const creator = { authorization: `Bearer ${creatorToken}`, organization: shortcode };
  const plios = await buildPlios(creator);
  const detail = plios.at(-1)!;

  const json = { ...creator, 'content-type': 'application/json' };
  let nextLearner = 0;
  const runs = [
    // Reference points, not in the default set: the framework alone, then plus the bearer token lookup.
    { key: 'health', label: 'GET /health (no database)', path: '/health', method: 'GET' as const, headers: {} },
    { key: 'auth', label: 'GET /health signed in (token lookup only)', path: '/health', method: 'GET' as const, headers: creator },
    { key: 'list', label: 'plio list', path: '/api/v1/plios/', method: 'GET' as const, headers: creator },
    { key: 'detail', label: `plio detail (${QUESTIONS} questions)`, path: `/api/v1/plios/${detail.uuid}/`, method: 'GET' as const, headers: creator },
    {
      key: 'session',
      label: 'session creation',
      path: '/api/v1/sessions/',
      method: 'POST' as const,
      headers: json,
      body: JSON.stringify({ plio: detail.id }),
      // One learner per connection: sessions of one learner on one plio are serialised by an advisory lock.
      setupClient: (client: autocannon.Client) =>
        client.setHeaders({ ...json, authorization: `Bearer ${learnerTokens[nextLearner++ % learnerTokens.length]}` }),
    },
  ];

  const results = [];
  const only = new Set(options.only.split(','));
  for (const run of runs.filter((run) => only.has(run.key))) {
    await load({ ...run, duration: WARM_UP_SECONDS });
    const result = await load({ ...run, duration: SECONDS });
    const problems = result.non2xx + result.errors + result.timeouts;
    if (problems > 0) failed = true;
    results.push({
      endpoint: `${run.method} ${run.path.replace(detail.uuid, '{uuid}')}`,
      what: run.label,
      'req/s (avg)': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      requests: result.requests.total,
      'non-2xx': result.non2xx,
      errors: result.errors + result.timeouts,
    });
  }
  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s each after ${WARM_UP_SECONDS} s of warm-up, server LOG_LEVEL=${options['log-level']}, cache ${options.redis ? `in Redis (${options.redis})` : 'in memory'}`);
  console.table(results);
  console.log(`load average after: ${loadAverage()}`);
  const list = results.find((result) => result.what === 'plio list')?.['req/s (avg)'];
  if (list !== undefined) console.log(`goal (plio list >= 2,000 req/s): ${list >= 2000 ? 'met' : 'NOT met'} (${list} req/s)`);
  if (failed) console.error('FAILED: some responses were not 2xx (see non-2xx and errors)');
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await stopServer();
  await scratch.drop();
}
process.exitCode = failed ? 1 : 0;

/**
 * Migrates, provisions the tenants and signs in the users in this process,
 * then closes: the server boots on the result.
 */
async function provision() {
  const running = await boot(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'silent' }), { log: pino({ level: 'silent' }) });
  try {
    const { db, tenancy, secretKey } = running.context;
    let workspace: { id: number; shortcode: string } | undefined;
    for (let i = 0; i < TENANTS; i++) {
      const organization = await tenancy.organizations.create({ name: `Bench ${i}`, shortcode: `bench${i}` });
      // A workspace in the middle of the list, not the first or last created.
      if (i === Math.floor(TENANTS / 2)) workspace = { id: organization.id, shortcode: organization.shortcode };
    }
    if (!workspace) throw new Error('no organization to work in');
    const orgAdmin = await db.selectFrom('public.role').select('id').where('name', '=', 'org-admin').executeTakeFirstOrThrow();
    const creator = await db.insertInto('public.user').values({ email: 'bench-creator@example.org' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('public.organization_user').values({ user_id: creator.id, organization_id: workspace.id, role_id: orgAdmin.id }).execute();
    // Learners are not members: they play public plios of the workspace, as students do.
    const learners = await db
      .insertInto('public.user')
      .values(Array.from({ length: CONNECTIONS }, (_, i) => ({ email: `bench-learner-${i}@example.org` })))
      .returning('id')
      .execute();
    return {
      shortcode: workspace.shortcode,
      creatorToken: (await issueTokens(db, secretKey, creator.id, null)).access_token,
      learnerTokens: await Promise.all(learners.map(async (learner) => (await issueTokens(db, secretKey, learner.id, null)).access_token)),
    };
  } finally {
    await running.close();
  }
}

/** Published public plios made as the web client makes them; the last one has a video and the questions. */
async function buildPlios(headers: Record<string, string>) {
  const plios: { id: number; uuid: string }[] = [];
  for (let i = 0; i < PLIOS; i++) {
    const withQuestions = i === PLIOS - 1;
    const video = withQuestions
      ? await call('POST', '/api/v1/videos/', headers, { url: 'https://www.youtube.com/watch?v=benchmark01', title: 'Video', duration: 600 })
      : undefined;
    const plio = await call('POST', '/api/v1/plios/', headers, { name: `Plio ${i}`, video: video?.id ?? null, status: 'published', is_public: true });
    if (withQuestions) {
      for (let q = 0; q < QUESTIONS; q++) {
        const item = await call('POST', '/api/v1/items/', headers, { plio: plio.id, time: 10 + q * 25, type: 'question' });
        await call('POST', '/api/v1/questions/', headers, { item: item.id, type: 'mcq', text: `Question ${q + 1}`, options: ['A', 'B', 'C', 'D'], correct_answer: 1 });
      }
    }
    plios.push({ id: plio.id, uuid: plio.uuid });
  }
  const list = await call('GET', '/api/v1/plios/', headers);
  if (list.count !== PLIOS || list.results.length !== 5) throw new Error(`unexpected list: count ${list.count}, ${list.results.length} rows`);
  const detail = await call('GET', `/api/v1/plios/${plios.at(-1)!.uuid}/`, headers);
  if (detail.items.length !== QUESTIONS) throw new Error(`unexpected detail: ${detail.items.length} items`);
  return plios;
}

/** One JSON request that must succeed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bench fixtures read a few known fields
async function call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<any> {
  const response = await fetch(BASE + path, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

function load(run: {
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  setupClient?: (client: autocannon.Client) => void;
  duration: number;
}): Promise<autocannon.Result> {
  return autocannon({
    url: BASE + run.path,
    method: run.method,
    headers: run.headers,
    ...(run.body !== undefined && { body: run.body }),
    ...(run.setupClient && { setupClient: run.setupClient }),
    connections: CONNECTIONS,
    duration: run.duration,
  });
}

/** `plio serve` in a child process on the scratch database, once it answers /ready. */
async function startServer(): Promise<ChildProcess> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: scratch.url, PORT: String(PORT), LOG_LEVEL: options['log-level'] };
  // The in-memory cache (one instance) unless --redis names a Redis for it.
  if (options.redis) env.REDIS_URL = options.redis;
  else delete env.REDIS_URL;
  // e.g. `--server-node-args="--cpu-prof --cpu-prof-dir /tmp/prof"` to profile the server
  const nodeArgs = options['server-node-args'].split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'bin/plio.js', 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (await fetch(`${BASE}/ready`).then((r) => r.ok, () => false)) return child;
    if (performance.now() - started > 60_000) {
      child.kill('SIGTERM');
      throw new Error('server did not become ready in 60 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopServer(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server!.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}


function seconds(value: number): string {
  return (value / 1000).toFixed(1);
}
