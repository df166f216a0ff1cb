/**
 * How long `plio migrate` with nothing to do (and `plio --help`, start
 * alone) take as commands, process start included: the compiled build (what
 * `bin/plio.js` runs after `npm ci`) against compiling the TypeScript at
 * start (tsx, what `bin/plio.js` did before), interleaved, on a scratch
 * embedded database.
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
  'compiled migrate': ['bin/plio.js', 'migrate'],
  'tsx migrate': ['--import', 'tsx', 'src/cli/main.ts', 'migrate'],
  'compiled --help': ['bin/plio.js', '--help'],
  'tsx --help': ['--import', 'tsx', 'src/cli/main.ts', '--help'],
} as const;
type Variant = keyof typeof variants;

function runOnce(args: readonly string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`plio ${args.join(' ')} failed: ${run.stderr}`);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  runOnce(variants['compiled migrate']); // creates the database and the build
  const names = Object.keys(variants) as Variant[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Variant, number[]>;
  for (let i = 0; i < runs; i++) for (const name of names) times[name].push(runOnce(variants[name]));
  console.log(`${runs} interleaved runs each, median:`);
  for (const command of ['migrate', '--help'] as const) {
    const compiled = median(times[`compiled ${command}`]);
    const tsx = median(times[`tsx ${command}`]);
    console.log(`  plio ${command.padEnd(7)} compiled ${compiled.toFixed(0)} ms, tsx ${tsx.toFixed(0)} ms, ratio ${(tsx / compiled).toFixed(2)}x`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
