/**
 * Tenancy benchmarks on a real PostgreSQL server (a scratch database that is
 * created and dropped): provisioning 1,000 tenants, `plio migrate` with
 * nothing to do, one additive tenant migration over every schema, and the
 * embedded database's first start to /ready.
 *
 *   npm run bench:tenancy [-- --tenants 1000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { migrations } from '../src/migrations/index.ts';
import { Migrator } from '../src/tenancy/migrator.ts';
import { createTenancy } from '../src/tenancy/tenancy.ts';
import { BENCH_POSTGRES_URL, createScratchDatabase } from '../test/support/scratch-database.ts';

const tenants = Number(process.argv[process.argv.indexOf('--tenants') + 1]) || 1000;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

const scratch = await createScratchDatabase('plio_bench', BENCH_POSTGRES_URL);
try {
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: '' }, { poolSize: 8 });
  const tenancy = createTenancy(database.db, migrations);
  await tenancy.migrator.run();

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`\n## provisioning ${tenants} tenants (full tenant table set, one at a time)`);
  const durations: number[] = [];
  for (let i = 0; i < tenants; i++) {
    const started = performance.now();
    await tenancy.organizations.create({ name: `Bench ${i}`, shortcode: `bench${i}` });
    durations.push(performance.now() - started);
  }
  for (const upTo of [100, 250, 500, 750, 1000].filter((n) => n <= tenants)) {
    const window = durations.slice(Math.max(0, upTo - 100), upTo);
    console.log(`tenants ${upTo - 99}-${upTo}: median ${ms(median(window))}, max ${ms(Math.max(...window))}`);
  }
  console.log(`all ${tenants}: median ${ms(median(durations))}`);

  console.log(`\n## plio migrate with nothing to do (${tenants} tenants)`);
  const noopRuns: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const report = await tenancy.migrator.run();
    noopRuns.push(performance.now() - started);
    if (report.results.length > 0) throw new Error('expected nothing to do');
  }
  console.log(`in process: median ${ms(median(noopRuns))}`);
  const cli = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, ['bin/plio.js', 'migrate'], { env: { ...process.env, DATABASE_URL: scratch.url }, encoding: 'utf8' });
    cli.push(performance.now() - started);
    if (run.status !== 0) throw new Error(run.stderr);
  }
  console.log(`command (process start included): median ${ms(median(cli))}`);

  console.log(`\n## plio org list (${tenants + 1} organizations, with domains and schema sizes)`);
  const listRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await tenancy.organizations.list();
    listRuns.push(performance.now() - started);
  }
  console.log(`in process: median ${ms(median(listRuns))}`);

  console.log(`\n## one additive tenant migration over ${tenants + 1} schemas`);
  // Each round appends one more migration, so each applies exactly one step.
  const added: { name: string; sql: string }[] = [];
  for (const concurrency of [1, 4, 8]) {
    added.push({ name: `9000-bench-${concurrency}`, sql: `alter table video add column bench_${concurrency} text` });
    const migrator = new Migrator(database.db, { shared: migrations.shared, tenant: [...migrations.tenant, ...added] });
    const started = performance.now();
    const report = await migrator.run({ concurrency });
    const elapsed = performance.now() - started;
    if (report.failed.length > 0) throw new Error(report.failed[0]!.error);
    console.log(`concurrency ${concurrency}: ${(elapsed / 1000).toFixed(2)} s (${report.results.length} schemas)`);
  }
  await database.close();
} finally {
  await scratch.drop();
}

console.log('\n## embedded database: first start to /ready');
const starts: number[] = [];
for (let i = 0; i < 3; i++) starts.push(await firstStartToReady(18000 + i));
console.log(`median ${ms(median(starts))} (runs: ${starts.map((s) => s.toFixed(0)).join(', ')} ms)`);

async function firstStartToReady(port: number): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'plio-bench-'));
  const started = performance.now();
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const server = spawn(process.execPath, ['bin/plio.js', 'serve'], { env, stdio: 'ignore' });
  try {
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
      if (ready) return performance.now() - started;
      if (performance.now() - started > 60_000) throw new Error('server did not become ready in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.on('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
