/**
 * What a test file's database costs on a server: a new empty database
 * migrated (what test/support/database.ts did before) against a copy of a
 * migrated template (what it does now), alternating, medians; on the local
 * PostgreSQL and, with BENCH_CITUS_URL, on a Citus cluster (every node).
 *
 *   [BENCH_CITUS_URL=postgres://postgres@127.0.0.1:5511/plio] node --import tsx bench/test-databases.ts [--rounds 8]
 */
import { loadavg } from 'node:os';
import { migrateAt } from '../test/support/database.ts';
import { BENCH_CITUS_URL, BENCH_POSTGRES_URL, createCitusScratchDatabase, createScratchDatabase, type ScratchDatabase, type ScratchOptions } from '../test/support/scratch-database.ts';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 8;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const servers: { name: string; create: (options?: ScratchOptions) => Promise<ScratchDatabase> }[] = [
  { name: 'PostgreSQL', create: (options) => createScratchDatabase('plio_bench', BENCH_POSTGRES_URL, options) },
];
if (BENCH_CITUS_URL) servers.push({ name: 'Citus', create: (options) => createCitusScratchDatabase('plio_bench', BENCH_CITUS_URL!, options) });

console.log(`${new Date().toISOString()}, load ${loadavg()[0]!.toFixed(1)}, ${rounds} rounds`);
for (const server of servers) {
  const template = await server.create({ name: 'plio_bench_template' });
  await migrateAt(template.url);
  await template.seal();
  const seconds = { migrated: [] as number[], copied: [] as number[] };
  try {
    for (let round = 0; round < rounds; round++) {
      let started = performance.now();
      const fresh = await server.create();
      await migrateAt(fresh.url);
      seconds.migrated.push(performance.now() - started);
      await fresh.drop();
      started = performance.now();
      const copy = await server.create({ template: template.name });
      seconds.copied.push(performance.now() - started);
      await copy.drop();
    }
  } finally {
    await template.drop();
  }
  const [migrated, copied] = [median(seconds.migrated), median(seconds.copied)];
  console.log(`${server.name}: empty and migrated ${migrated.toFixed(0)} ms, copied from the template ${copied.toFixed(0)} ms (${(copied / migrated).toFixed(2)}×)`);
}
