#!/usr/bin/env node
// The whole test suite: the API suite three times, on the embedded database
// (PGlite), on PostgreSQL and on a local Citus cluster (a fresh database per
// test file, all dropped afterwards), then the browser suite once
// (scripts/test-e2e.mjs).
//
//   npm test                       every database, every test file (the Citus pass: those
//                                  that reach its database, see NOT_ON_CITUS), then the browser suite
//   npm test -- --db embedded      one database: embedded, postgres or citus (the browser suite on the first two too)
//   npm test -- test/api/x.test.ts chosen files (no browser suite)
//
// The Citus pass starts a three-node cluster with `cluster.sh` from CITUS_DIR
// (default ../shared/citus; coordinator on CITUS_PORT, default 5511, workers
// on the next two ports) in a temporary directory, and stops it afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { adminUrl, databasePrefix, dropTestDatabases, findTests, runTests } from './test-runs.mjs';

const DATABASES = ['embedded', 'postgres', 'citus'];
const args = process.argv.slice(2);
const dbIndex = args.indexOf('--db');
const databases = dbIndex >= 0 ? [args[dbIndex + 1]] : DATABASES;
if (!databases.every((database) => DATABASES.includes(database))) {
  console.error(`--db takes one of: ${DATABASES.join(', ')}`);
  process.exit(1);
}
const chosen = args.filter((arg, i) => arg.endsWith('.test.ts') && (dbIndex < 0 || i !== dbIndex + 1));
const files = chosen.length > 0 ? chosen : findTests('test', '.test.ts');

/**
 * What the Citus pass leaves out when no files are chosen: tests that reach
 * no database, and the outage test, which stops and freezes a PostgreSQL
 * cluster of its own whichever database the pass is on. They run on the
 * embedded database and on PostgreSQL.
 */
const NOT_ON_CITUS = [
  'test/unit/', // no database
  'test/cache/', // no database
  'test/accounts/sms.test.ts', // no database
  'test/accounts/abuse-limits-without-redis.test.ts', // counters in memory
  'test/api/outage.test.ts', // its own PostgreSQL cluster in every pass
];
const onCitus = (file) => chosen.length > 0 || !NOT_ON_CITUS.some((prefix) => file.replaceAll('\\', '/').startsWith(prefix));
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}

const prefix = databasePrefix();
let passed = 0;
let failed = 0;

for (const database of databases) {
  const cluster = database === 'citus' ? startCitus() : undefined;
  const started = performance.now();
  const passFiles = database === 'citus' ? files.filter(onCitus) : files;
  const left = files.length - passFiles.length;
  console.log(`\n=== ${passFiles.length} test files on ${database}${left > 0 ? ` (${left} left out: NOT_ON_CITUS in scripts/test.mjs)` : ''} ===`);
  const env = { ...process.env, TEST_DATABASE: database, TEST_POSTGRES_URL: adminUrl, TEST_DB_PREFIX: prefix };
  if (cluster) env.TEST_CITUS_URL = cluster.url;
  delete env.DATABASE_URL;
  const counts = await runTests(passFiles, { env, concurrency: 2 });
  passed += counts.passed;
  failed += counts.failed;
  if (database === 'postgres') await dropTestDatabases(prefix);
  cluster?.stop();
  console.log(`=== ${database}: ${((performance.now() - started) / 1000).toFixed(0)} s ===`);
}

console.log(`\ntests: ${passed} passed, ${failed} failed`);
if (passed === 0) console.error('no test ran');
let status = failed > 0 || passed === 0 ? 1 : 0;

// The browser suite runs on the embedded database or PostgreSQL.
if (chosen.length === 0 && databases[0] !== 'citus') {
  const browser = spawnSync(process.execPath, ['scripts/test-e2e.mjs', ...(dbIndex >= 0 ? ['--db', databases[0]] : [])], { stdio: 'inherit' });
  if (browser.status !== 0) status = 1;
}
process.exit(status);

/** A fresh local Citus cluster for this run; stopping it removes its data. */
function startCitus() {
  const script = join(resolve(process.env.CITUS_DIR ?? '../shared/citus'), 'cluster.sh');
  const dir = mkdtempSync(join(tmpdir(), 'plio-test-citus-'));
  const start = spawnSync('bash', [script, 'start', dir, process.env.CITUS_PORT ?? '5511'], { encoding: 'utf8' });
  if (start.status !== 0) {
    console.error(`could not start the Citus cluster with ${script}: ${start.stdout}${start.stderr}`);
    process.exit(1);
  }
  return {
    url: start.stdout.trim().split('\n').pop(),
    stop() {
      spawnSync('bash', [script, 'stop', dir], { stdio: 'inherit' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
