/**
 * How long `plio migrate` with nothing to do takes as a command, process
 * start included: the compiled build (what `bin/plio.js` runs after
 * `npm ci`) against compiling the TypeScript at start (tsx, what
 * `bin/plio.js` did before), interleaved, on a scratch embedded database.
 *
 *   npm run bench:cli [-- --runs 10]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 10;
const dataDir = mkdtempSync(join(tmpdir(), 'plio-bench-cli-'));
const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
delete env.DATABASE_URL;

const variants = {
  compiled: ['bin/plio.js', 'migrate'],
  tsx: ['--import', 'tsx', 'src/cli/main.ts', 'migrate'],
} as const;

function runOnce(args: readonly string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`plio ${args.join(' ')} failed: ${run.stderr}`);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  runOnce(variants.compiled); // creates the database and the build
  const times: Record<keyof typeof variants, number[]> = { compiled: [], tsx: [] };
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(variants) as (keyof typeof variants)[]) times[name].push(runOnce(variants[name]));
  }
  const compiled = median(times.compiled);
  const tsx = median(times.tsx);
  console.log(`plio migrate, nothing to do, ${runs} interleaved runs each (median):`);
  console.log(`  compiled build  ${compiled.toFixed(0)} ms`);
  console.log(`  tsx at start    ${tsx.toFixed(0)} ms`);
  console.log(`  ratio           ${(tsx / compiled).toFixed(2)}x`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
