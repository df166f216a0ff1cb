/**
 * Metrics and report of a large plio on PostgreSQL: time and peak memory.
 *
 *   npm run bench:analytics                       10,000 learners, 20 questions
 *   npm run bench:analytics -- --learners 100000  any size
 *
 * Creates a scratch database on BENCH_POSTGRES_URL (default: the local
 * server as postgres), seeds two published plios in the personal workspace
 * with SQL (a small one, a tenth of the size, and the full one), serves the
 * real app on a local port and downloads over HTTP, discarding the bytes, so
 * that nothing but the server holds the report. Peak RSS is sampled every
 * 10 ms while each request runs; comparing the two plios shows whether the
 * report's memory grows with its size. The database is dropped at the end.
 */
import { get } from 'node:http';
import { cpus, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pino from 'pino';
import { issueTokens } from '../src/accounts/tokens.ts';
import { withRetentionFacts } from '../src/learning/retention-facts.ts';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { BENCH_POSTGRES_URL, createScratchDatabase } from '../test/support/scratch-database.ts';

const { values: options } = parseArgs({
  options: {
    learners: { type: 'string', default: '10000' },
    questions: { type: 'string', default: '20' },
    'events-per-session': { type: 'string', default: '10' },
    'video-seconds': { type: 'string', default: '300' },
  },
});
const LEARNERS = Number(options.learners);
const QUESTIONS = Number(options.questions);
const EVENTS = Number(options['events-per-session']);
const VIDEO_SECONDS = Number(options['video-seconds']);
const scratch = await createScratchDatabase('plio_bench', BENCH_POSTGRES_URL);
const running = await boot(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'silent' }), { log: pino({ level: 'silent' }) });

try {
  const { db, secretKey } = running.context;
  const creator = await db.insertInto('public.user').values({ email: 'bench-creator@example.org' }).returning('id').executeTakeFirstOrThrow();
  const token = (await issueTokens(db, secretKey, creator.id, null)).access_token;

  const seedStarted = performance.now();
  const small = await seedPlio(creator.id, Math.max(1, Math.round(LEARNERS / 10)), 'small');
  const large = await seedPlio(creator.id, LEARNERS, 'large');
  await sql`vacuum analyze`.execute(db);
  console.log(`seeded in ${seconds(performance.now() - seedStarted)} s`);
  console.log(`${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, load average before: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  await running.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = running.app.server.address() as AddressInfo;
  const fetch = (path: string) => download(port, path, token);

  for (const [label, plio] of [
    ['small', small],
    ['large', large],
  ] as const) {
    await fetch(`/api/v1/plios/${plio.uuid}/metrics/`); // warm-up: connections, plan caches
    const metrics = await repeat(10, () => fetch(`/api/v1/plios/${plio.uuid}/metrics/`));
    const report = await repeat(3, () => fetch(`/api/v1/plios/${plio.uuid}/download_data/`));
    console.log(
      [
        `${label}: ${plio.learners} learners, ${plio.sessions} sessions, ${plio.answers} answers, ${plio.events} events`,
        `  metrics: median ${millis(metrics.median)} ms, max ${millis(metrics.max)} ms, peak RSS ${mib(metrics.peakRss)} MiB`,
        `  report:  median ${millis(report.median)} ms, max ${millis(report.max)} ms, ${mib(report.bytes)} MiB zip,` +
          ` RSS before ${mib(report.rssBefore)} MiB, peak ${mib(report.peakRss)} MiB (+${mib(report.peakRss - report.rssBefore)} MiB)`,
      ].join('\n'),
    );
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await running.close();
  await scratch.drop();
}

/** A published plio with `learners` learners (a tenth of them watched twice), questions, answers and events. */
async function seedPlio(createdBy: number, learners: number, label: string) {
  const { db } = running.context;
  const uuid = `bench${label}`;
  const plio = await sql<{ id: number }>`
    with video as (insert into video (url, duration) values ('https://www.youtube.com/watch?v=benchmark01', ${VIDEO_SECONDS}) returning id)
    insert into plio (uuid, name, created_by_id, status, video_id)
    select ${uuid}, ${`Benchmark ${label}`}, ${createdBy}::bigint, 'published', id from video returning id`.execute(db);
  const plioId = plio.rows[0]!.id;
  await sql`
    with items as (
      insert into item (plio_id, time) select ${plioId}::bigint, g * 10 from generate_series(1, ${QUESTIONS}) g returning id
    )
    insert into question (item_id, type, text, options, correct_answer)
    select id, 'mcq', 'Question ' || id, '["A", "B", "C", "D"]', '1' from items`.execute(db);
  await sql`
    insert into public.user (email)
    select ${`${label}-`} || g || '@example.org' from generate_series(1, ${learners}) g`.execute(db);
  // Earlier sessions first for one learner in ten, then everyone's latest,
  // with the retention facts the write path stores.
  const earlier = withRetentionFacts(Array.from({ length: VIDEO_SECONDS }, (_, i) => ((i + 1) % 3 === 0 ? '0' : '1')).join(','));
  const latest = withRetentionFacts(Array.from({ length: VIDEO_SECONDS }, (_, i) => ((i + 1) % 2 === 0 ? '2' : '1')).join(','));
  await sql`
    insert into session (plio_id, user_id, watch_time, retention, retention_seconds, retention_reach)
    select ${plioId}::bigint, u.id, (random() * ${VIDEO_SECONDS})::int, ${earlier.retention}, ${earlier.retention_seconds}::int, ${earlier.retention_reach}::int
    from public.user u
    where u.email like ${`${label}-%`} and u.id % 10 = 0
    union all
    select ${plioId}::bigint, u.id, (random() * ${VIDEO_SECONDS})::int, ${latest.retention}, ${latest.retention_seconds}::int, ${latest.retention_reach}::int
    from public.user u
    where u.email like ${`${label}-%`}`.execute(db);
  await sql`
    insert into session_answer (session_id, item_id, answer)
    select s.id, i.id, case when random() < 0.1 then null else to_jsonb((random() * 3)::int) end
    from session s join item i on i.plio_id = s.plio_id
    where s.plio_id = ${plioId}`.execute(db);
  await sql`
    insert into event (session_id, type, player_time, details)
    select s.id, (array['played', 'paused', 'option_selected', 'video_seeked'])[1 + g % 4], g * 7.5, jsonb_build_object('itemIndex', g % ${QUESTIONS})
    from session s, generate_series(1, ${EVENTS}) g
    where s.plio_id = ${plioId}`.execute(db);
  const counts = await sql<{ sessions: number; answers: number; events: number }>`
    select (select count(*) from session where plio_id = ${plioId})::int as sessions,
      (select count(*) from session_answer a join session s on s.id = a.session_id where s.plio_id = ${plioId})::int as answers,
      (select count(*) from event e join session s on s.id = e.session_id where s.plio_id = ${plioId})::int as events`.execute(db);
  return { uuid, learners, ...counts.rows[0]! };
}

interface Measured {
  millis: number;
  bytes: number;
  rssBefore: number;
  peakRss: number;
}

/** GETs `path`, counting and discarding the body, while sampling this process's RSS. */
function download(port: number, path: string, token: string): Promise<Measured> {
  const rssBefore = process.memoryUsage.rss();
  let peakRss = rssBefore;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  return new Promise<Measured>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${token}` } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('error', reject);
      response.on('end', () => {
        clearInterval(sampler);
        if (response.statusCode !== 200) return reject(new Error(`${path}: HTTP ${response.statusCode}`));
        resolve({ millis: performance.now() - started, bytes, rssBefore, peakRss: Math.max(peakRss, process.memoryUsage.rss()) });
      });
    }).on('error', reject);
  });
}

async function repeat(times: number, run: () => Promise<Measured>) {
  const results: Measured[] = [];
  for (let i = 0; i < times; i++) results.push(await run());
  const sorted = results.map((result) => result.millis).sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    max: sorted.at(-1)!,
    bytes: results[0]!.bytes,
    rssBefore: Math.min(...results.map((result) => result.rssBefore)),
    peakRss: Math.max(...results.map((result) => result.peakRss)),
  };
}

function millis(value: number): string {
  return value.toFixed(0);
}
function seconds(value: number): string {
  return (value / 1000).toFixed(1);
}
function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
