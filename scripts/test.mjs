#!/usr/bin/env node
// The whole test suite, run twice: on the embedded database (PGlite) and on
// PostgreSQL (a fresh database per test file, all dropped afterwards).
//
//   npm test                       both databases, every test file
//   npm test -- --db embedded      one database
//   npm test -- test/api/x.test.ts chosen files
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const args = process.argv.slice(2);
const dbIndex = args.indexOf('--db');
const databases = dbIndex >= 0 ? [args[dbIndex + 1]] : ['embedded', 'postgres'];
const chosen = args.filter((arg, i) => arg.endsWith('.test.ts') && !(dbIndex >= 0 && i === dbIndex + 1));
const files = chosen.length > 0 ? chosen : findTests('test');
if (files.length === 0) {
  console.error('no test files found under test/');
  process.exit(1);
}

const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `plio_test_${process.pid}_${Date.now().toString(36)}`;
let passed = 0;
let failed = 0;

for (const database of databases) {
  console.log(`\n=== ${files.length} test files on ${database} ===`);
  const env = { ...process.env, TEST_DATABASE: database, TEST_POSTGRES_URL: adminUrl, TEST_DB_PREFIX: prefix, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', '--test-reporter-destination=.test-summary.tap', ...files], {
    env,
    stdio: 'inherit',
  });
  const counts = readCounts('.test-summary.tap');
  passed += counts.pass;
  failed += counts.fail + (run.status !== 0 && counts.fail === 0 ? 1 : 0);
  if (database === 'postgres') await dropTestDatabases();
}

console.log(`\ntests: ${passed} passed, ${failed} failed`);
if (passed === 0) console.error('no test ran');
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function findTests(dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return findTests(path);
      return name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

function readCounts(path) {
  const text = spawnSync('cat', [path], { encoding: 'utf8' }).stdout ?? '';
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  spawnSync('rm', ['-f', path]);
  return { pass: count('pass'), fail: count('fail') + count('cancelled') };
}

async function dropTestDatabases() {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query('select datname from pg_database where datname like $1', [`${prefix}%`]);
  for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  await client.end();
}
