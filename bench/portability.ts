/**
 * Export and import of an organization the size of the analytics benchmark's
 * (10,000 learners: 11,000 sessions, 220,000 answers, 110,000 events), with
 * time and peak memory, next to one a tenth of the size: equal peaks say the
 * memory is flat.
 *
 *   npm run bench:portability                      10,000 learners, PostgreSQL
 *   npm run bench:portability -- --learners 20000 --runs 5
 *
 * Creates a scratch database on BENCH_POSTGRES_URL (dropped at the end),
 * exports each organization to a file in a temporary folder and imports it
 * back under a new shortcode, alternating small and large, `--runs` times.
 * RSS is sampled every 10 ms during each operation.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pino from 'pino';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { createImageStorage } from '../src/content/image-storage.ts';
import { migrations } from '../src/migrations/index.ts';
import { exportOrganization, type PortabilityContext } from '../src/portability/export.ts';
import { importOrganization } from '../src/portability/import.ts';
import { seedLargePlio } from '../test/support/portability.ts';
import { BENCH_POSTGRES_URL, createScratchDatabase } from '../test/support/scratch-database.ts';

const { values: options } = parseArgs({ options: { learners: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const LEARNERS = Number(options.learners);
const RUNS = Number(options.runs);
const scratch = await createScratchDatabase('plio_port_bench', BENCH_POSTGRES_URL);
const folder = mkdtempSync(join(tmpdir(), 'plio-port-bench-'));
const running = await boot(loadConfig({ DATABASE_URL: scratch.url, LOG_LEVEL: 'silent', MEDIA_ROOT: join(folder, 'media') }), { log: pino({ level: 'silent' }) });

try {
  const { db, config } = running.context;
  const context: PortabilityContext = { database: running.context.database, storage: createImageStorage(config), migrations };
  const creator = await db.insertInto('public.user').values({ email: 'bench-creator@example.org' }).returning('id').executeTakeFirstOrThrow();
  const sizes = [
    { label: 'small', learners: Math.max(1, Math.round(LEARNERS / 10)) },
    { label: 'large', learners: LEARNERS },
  ];
  const seedStarted = performance.now();
  for (const size of sizes) {
    const org = await running.context.tenancy.organizations.create({ name: `Bench ${size.label}`, shortcode: size.label });
    await seedLargePlio(db, org.schemaName, { creatorId: creator.id, learners: size.learners, label: size.label });
  }
  await sql`vacuum analyze`.execute(db);
  console.log(`seeded in ${seconds(performance.now() - seedStarted)} s`);
  console.log(`${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, load average before: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const results: Record<string, { exports: Measured<unknown>[]; imports: Measured<unknown>[]; rows: number; bytes: number }> = {};
  for (let run = 1; run <= RUNS; run++) {
    for (const size of sizes) {
      const file = join(folder, `${size.label}.plio.tar.gz`);
      const exported = await measure(async () => {
        const out = createWriteStream(file);
        await once(out, 'open');
        return exportOrganization(context, size.label, out);
      });
      const imported = await measure(() => importOrganization(context, () => createReadStream(file), { shortcode: `${size.label}-${run}` }));
      const entry = (results[size.label] ??= { exports: [], imports: [], rows: 0, bytes: 0 });
      entry.exports.push(exported);
      entry.imports.push(imported);
      entry.rows = imported.value.rows;
      entry.bytes = statSync(file).size;
      // Keep the database the same size from run to run.
      await running.context.tenancy.organizations.delete(`${size.label}-${run}`, { dropSchema: true });
    }
  }
  for (const size of sizes) {
    const { exports, imports, rows, bytes } = results[size.label]!;
    console.log(
      [
        `${size.label}: ${size.learners} learners, ${rows} rows, archive ${mib(bytes)} MiB`,
        `  export: median ${seconds(median(exports.map((m) => m.millis)))} s, max ${seconds(Math.max(...exports.map((m) => m.millis)))} s, peak RSS +${mib(Math.max(...exports.map((m) => m.peakRss - m.rssBefore)))} MiB (max over runs)`,
        `  import: median ${seconds(median(imports.map((m) => m.millis)))} s, max ${seconds(Math.max(...imports.map((m) => m.millis)))} s, peak RSS +${mib(Math.max(...imports.map((m) => m.peakRss - m.rssBefore)))} MiB (max over runs)`,
      ].join('\n'),
    );
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await running.close();
  await scratch.drop();
  rmSync(folder, { recursive: true, force: true });
}

interface Measured<T> {
  millis: number;
  rssBefore: number;
  peakRss: number;
  value: T;
}

async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  global.gc?.();
  const rssBefore = process.memoryUsage.rss();
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
  const started = performance.now();
  try {
    const value = await work();
    return { millis: performance.now() - started, rssBefore, peakRss: Math.max(peakRss, process.memoryUsage.rss()), value };
  } finally {
    clearInterval(sampler);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
