#!/usr/bin/env node
/**
 * The test runner's loading, on the same test files: under tsx's hooks
 * (what scripts/test-runs.mjs did before) and compiled first with esbuild
 * (what it does now, compile time included), alternating, medians. Runs on
 * the embedded database with node:test's usual two files at a time.
 *
 *   node bench/test-loader.mjs [--rounds 4] [test files ...]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compileTests } from '../scripts/test-runs.mjs';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 4;
const chosen = args.filter((arg) => arg.endsWith('.test.ts'));
const files = chosen.length > 0 ? chosen : [
  'test/api/health.test.ts', 'test/api/content/plio-crud.test.ts', 'test/api/accounts/otp.test.ts', 'test/api/accounts/tokens.test.ts',
  'test/api/accounts/users.test.ts', 'test/tenancy/registry.test.ts', 'test/tenancy/walkthrough.test.ts', 'test/api/content/public-url.test.ts',
  'test/api/accounts/memberships.test.ts', 'test/unit/config.test.ts',
];
const env = { ...process.env, TEST_DATABASE: 'embedded', LOG_LEVEL: 'silent' };
delete env.DATABASE_URL;

const nodeTest = (loaderArgs, paths) => spawnSync(process.execPath, [...loaderArgs, '--test', '--test-concurrency=2', '--test-reporter=dot', ...paths], { env, stdio: 'ignore' }).status;
const variants = {
  tsx: async () => nodeTest(['--import', 'tsx'], files),
  compiled: async () => {
    const compiled = await compileTests(files);
    try {
      return nodeTest(['--enable-source-maps'], compiled.files);
    } finally {
      compiled.remove();
    }
  },
};

const seconds = { tsx: [], compiled: [] };
console.log(`${files.length} test files, ${rounds} rounds, ${new Date().toISOString()}`);
for (let round = 1; round <= rounds; round++) {
  for (const [name, run] of Object.entries(variants)) {
    const started = performance.now();
    if ((await run()) !== 0) throw new Error(`a test failed under ${name}: run it with npm test to see which`);
    seconds[name].push((performance.now() - started) / 1000);
  }
  console.log(`round ${round}: tsx ${seconds.tsx.at(-1).toFixed(1)} s, compiled ${seconds.compiled.at(-1).toFixed(1)} s, load ${loadavg()[0].toFixed(1)}`);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`median: tsx ${median(seconds.tsx).toFixed(1)} s, compiled ${median(seconds.compiled).toFixed(1)} s (${(median(seconds.compiled) / median(seconds.tsx)).toFixed(2)}×)`);
