#!/usr/bin/env node
// The browser suite: every test/e2e/**/*.e2e.ts, once, one file at a time
// (the web client's journeys need ports 8001 and 8080 to themselves), on the
// embedded database unless told otherwise. It fails when Chromium is missing
// or when no test ran.
//
//   npm run test:e2e                        every browser test, embedded database
//   npm run test:e2e -- --db postgres       on PostgreSQL
//   npm run test:e2e -- test/e2e/x.e2e.ts   chosen files
import { existsSync } from 'node:fs';
import { adminUrl, databasePrefix, dropTestDatabases, findTests, runTests } from './test-runs.mjs';

const args = process.argv.slice(2);
const dbIndex = args.indexOf('--db');
const database = dbIndex >= 0 ? args[dbIndex + 1] : 'embedded';
if (database !== 'embedded' && database !== 'postgres') fail(`--db must be embedded or postgres, not ${database}`);
const chosen = args.filter((arg) => arg.endsWith('.e2e.ts'));
const files = chosen.length > 0 ? chosen : findTests('test/e2e', '.e2e.ts');
if (files.length === 0) fail('no browser test files found under test/e2e/');

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) fail(`Chromium is missing at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`);

console.log(`\n=== ${files.length} browser test files on ${database} ===`);
const started = Date.now();
const prefix = databasePrefix();
const env = { ...process.env, TEST_DATABASE: database, TEST_POSTGRES_URL: adminUrl, TEST_DB_PREFIX: prefix };
delete env.DATABASE_URL;
const { passed, failed } = await runTests(files, { env, concurrency: 1 });
if (database === 'postgres') await dropTestDatabases(prefix);

console.log(`\nbrowser tests: ${passed} passed, ${failed} failed, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (passed === 0) fail('no browser test ran');
process.exit(failed > 0 ? 1 : 0);

function fail(message) {
  console.error(`test:e2e: ${message}`);
  process.exit(1);
}
