/**
 * Provisioning on a Citus cluster against plain PostgreSQL, in the same run:
 * organizations created one at a time, alternating between the two (a
 * scratch database on each, created and dropped), medians per side; then
 * where one Citus provisioning spends its time, statement by statement.
 *
 *   bash ../shared/citus/cluster.sh start /tmp/citus 5511
 *   BENCH_CITUS_URL=postgres://postgres@127.0.0.1:5511/plio npm run bench:citus [-- --tenants 100]
 */
import { cpus, loadavg } from 'node:os';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../src/db/database.ts';
import { migrations } from '../src/migrations/index.ts';
import { newSchemaStatements, onePerQuery } from '../src/tenancy/migration.ts';
import { createTenancy } from '../src/tenancy/tenancy.ts';
import { BENCH_CITUS_URL, BENCH_POSTGRES_URL, createCitusScratchDatabase, createScratchDatabase } from '../test/support/scratch-database.ts';

if (!BENCH_CITUS_URL) {
  console.error('set BENCH_CITUS_URL to a Citus coordinator (../shared/citus/cluster.sh start DIR prints one)');
  process.exit(1);
}
const tenants = Number(process.argv[process.argv.indexOf('--tenants') + 1]) || 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;

const scratches = [await createScratchDatabase('plio_bench', BENCH_POSTGRES_URL), await createCitusScratchDatabase('plio_bench', BENCH_CITUS_URL)];
const opened: Database[] = [];
try {
  const [postgres, citus] = await Promise.all(scratches.map((s) => openDatabase({ databaseUrl: s.url, dataDir: '' }, { poolSize: 4 })));
  opened.push(postgres!, citus!);
  const sides = [
    { name: 'PostgreSQL', tenancy: createTenancy(postgres!.db, migrations), durations: [] as number[] },
    { name: 'Citus', tenancy: createTenancy(citus!.db, migrations), durations: [] as number[] },
  ];
  for (const side of sides) await side.tenancy.migrator.run();

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}, ${new Date().toISOString()}, load ${loadavg()[0]!.toFixed(1)}`);
  console.log(`\n## provisioning ${tenants} tenants on each, alternating`);
  for (let i = 0; i < tenants; i++) {
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      const started = performance.now();
      await side.tenancy.organizations.create({ name: `Bench ${i}`, shortcode: `bench${i}` });
      side.durations.push(performance.now() - started);
    }
  }
  for (const side of sides) console.log(`${side.name}: median ${ms(median(side.durations))}, max ${ms(Math.max(...side.durations))}`);
  console.log(`ratio Citus / PostgreSQL (medians): ${(median(sides[1]!.durations) / median(sides[0]!.durations)).toFixed(2)}`);

  console.log('\n## one Citus provisioning, statement by statement (slowest first)');
  const timings: { statement: string; ms: number }[] = [];
  const rollback = new Error('rolled back on purpose');
  await citus!.db
    .transaction()
    .execute(async (trx) => {
      for (const statement of onePerQuery(newSchemaStatements('bench_probe', migrations.tenant))) {
        const started = performance.now();
        await sql.raw(statement).execute(trx);
        timings.push({ statement: statement.replace(/\s+/g, ' ').slice(0, 70), ms: performance.now() - started });
      }
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  const total = timings.reduce((sum, t) => sum + t.ms, 0);
  console.log(`${timings.length} statements, ${ms(total)} in all`);
  for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 12)) console.log(`${ms(t.ms).padStart(9)}  ${t.statement}`);
} finally {
  for (const database of opened) await database.close();
  for (const scratch of scratches) await scratch.drop();
}
