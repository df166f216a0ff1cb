/**
 * How long a database outage takes to answer, and to recover from:
 * `npm run bench:outage [-- --rounds 5]`.
 *
 * A server (in process, `inject`) on a scratch PostgreSQL cluster of its own
 * (test/support/scratch-cluster.ts, ports 5601–5610), with the default
 * timeouts unless DATABASE_*_TIMEOUT_MS are set: per round, the time to a
 * 503 for a request that reads the database and for `/ready`, with the
 * server stopped and frozen (SIGSTOP), and the time from start/thaw to the
 * first 200. Medians over the rounds.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { issueTokens } from '../src/accounts/tokens.ts';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { startScratchCluster } from '../test/support/scratch-cluster.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const before = loadavg()[0]!.toFixed(1);
const cluster = await startScratchCluster();
try {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('create database plio');
  await admin.end();
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('DATABASE_') && name.endsWith('_TIMEOUT_MS')));
  const config = loadConfig({ ...env, DATABASE_URL: cluster.adminUrl.replace(/\/postgres$/, '/plio'), LOG_LEVEL: 'silent' });
  const running = await boot(config, { log: pino({ level: 'silent' }) });
  const user = await running.context.db.insertInto('public.user').values({ email: 'bench@example.org' }).returning('id').executeTakeFirstOrThrow();
  const { access_token } = await issueTokens(running.context.db, running.context.secretKey, user.id, null);
  let searches = 0;
  const timed = async (url: string, headers: Record<string, string> = {}) => {
    const start = performance.now();
    const response = await running.app.inject({ method: 'GET', url, headers });
    return { status: response.statusCode, ms: performance.now() - start };
  };
  // A search of its own each time: list pages are cached.
  const read = () => timed(`/api/v1/plios/?search=b${++searches}`, { authorization: `Bearer ${access_token}`, organization: '' });
  const untilServing = async () => {
    const start = performance.now();
    while ((await timed('/ready')).status !== 200 || (await read()).status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    return performance.now() - start;
  };
  const figures: Record<string, number[]> = {};
  const record = (name: string, ms: number, status?: number) => {
    if (status !== undefined && status !== 503) throw new Error(`${name}: expected 503, got ${status}`);
    (figures[name] ??= []).push(ms);
  };

  for (let round = 0; round < rounds; round++) {
    await Promise.all([read(), read(), read(), read()]); // warm pooled connections
    await cluster.stop();
    let r = await read();
    record('stopped: request to 503', r.ms, r.status);
    r = await timed('/ready');
    record('stopped: /ready to 503', r.ms, r.status);
    await cluster.start();
    record('started: to first 200', await untilServing());

    await Promise.all([read(), read(), read(), read()]);
    cluster.freeze();
    r = await read();
    record('frozen: request to 503', r.ms, r.status);
    r = await timed('/ready');
    record('frozen: /ready to 503', r.ms, r.status);
    cluster.thaw();
    record('thawed: to first 200', await untilServing());
  }
  await running.close();

  const { connectMs, statementMs, acquireMs } = config.databaseTimeouts;
  console.log(`${new Date().toISOString()}, ${cpus().length} cores, load ${before} before; timeouts connect ${connectMs} / statement ${statementMs} / acquire ${acquireMs} ms; ${rounds} rounds`);
  for (const [name, ms] of Object.entries(figures)) console.log(`${name.padEnd(26)} median ${Math.round(median(ms))} ms (min ${Math.round(Math.min(...ms))}, max ${Math.round(Math.max(...ms))})`);
} finally {
  await cluster.destroy();
}
