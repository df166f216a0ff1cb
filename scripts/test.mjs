#!/usr/bin/env node
// The whole test suite: the API suite twice, on the embedded database
// (PGlite) and on PostgreSQL (a fresh database per test file, all dropped
// afterwards), then the browser suite once (scripts/test-e2e.mjs).
//
//   npm test                       both databases, every test file, then the browser suite
//   npm test -- --db embedded      one database (the browser suite on it too)
//   npm test -- test/api/x.test.ts chosen files (no browser suite)
import { spawnSync } from 'node:child_process';
import { adminUrl, databasePrefix, dropTestDatabases, findTests, runTests } from './test-runs.mjs';

const args = process.argv.slice(2);
const dbIndex = args.indexOf('--db');
const databases = dbIndex >= 0 ? [args[dbIndex + 1]] : ['embedded', 'postgres'];
const chosen = args.filter((arg, i) => arg.endsWith('.test.ts') && (dbIndex < 0 || i !== dbIndex + 1));
const files = chosen.length > 0 ? chosen : findTests('test', '.test.ts');
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}

const prefix = databasePrefix();
let passed = 0;
let failed = 0;

for (const database of databases) {
  console.log(`\n=== ${files.length} test files on ${database} ===`);
  const env = { ...process.env, TEST_DATABASE: database, TEST_POSTGRES_URL: adminUrl, TEST_DB_PREFIX: prefix };
  delete env.DATABASE_URL;
  const counts = runTests(files, { env, concurrency: 2 });
  passed += counts.passed;
  failed += counts.failed;
  if (database === 'postgres') await dropTestDatabases(prefix);
}

console.log(`\ntests: ${passed} passed, ${failed} failed`);
if (passed === 0) console.error('no test ran');
let status = failed > 0 || passed === 0 ? 1 : 0;

if (chosen.length === 0) {
  const browser = spawnSync(process.execPath, ['scripts/test-e2e.mjs', ...(dbIndex >= 0 ? ['--db', databases[0]] : [])], { stdio: 'inherit' });
  if (browser.status !== 0) status = 1;
}
process.exit(status);
