// What the two test runners share (scripts/test.mjs for the API suite,
// scripts/test-e2e.mjs for the browser suite): finding test files, running
// them under node:test, compiled, with a TAP summary to count from, and
// dropping the PostgreSQL databases a run created.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pg from 'pg';
import { compileOptions } from './build.mjs';

export const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every file under `dir` whose name ends with `suffix`, sorted. (Node 20's `--test` expands no globs.) */
export function findTests(dir, suffix) {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return findTests(path, suffix);
      return name.endsWith(suffix) ? [path] : [];
    })
    .sort();
}

/**
 * Runs `files` with node:test (spec output on the terminal) and answers how
 * many passed and failed; a run that died without a failing test counts as
 * one failure.
 */
export async function runTests(files, { env, concurrency }) {
  const compiled = await compileTests(files);
  const summary = `.test-summary-${process.pid}.tap`;
  try {
    const run = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${summary}`, ...compiled.files],
      { env: { ...env, LOG_LEVEL: 'silent' }, stdio: 'inherit' },
    );
    const counts = readCounts(summary);
    return { passed: counts.pass, failed: counts.fail + (run.status !== 0 && counts.fail === 0 ? 1 : 0) };
  } finally {
    compiled.remove();
  }
}

/**
 * Compiles test files, with the sources they import, to JavaScript as
 * scripts/build.mjs compiles the plio command, into a folder of this run's
 * own under node_modules/.cache (packages resolve from there as from the
 * sources). Loading the TypeScript through tsx's hooks instead took about a
 * second longer in every test file (bench/README.md, "The test suite").
 */
export async function compileTests(files) {
  const { build } = await import('esbuild');
  const outdir = join('node_modules', '.cache', 'plio-test', `compiled-${process.pid}`);
  const sources = files.map((file) => relative(process.cwd(), resolve(file)));
  await build({ ...compileOptions, entryPoints: sources, outdir, outbase: '.', chunkNames: 'chunks/[hash]' });
  return {
    files: sources.map((source) => join(outdir, source.replace(/\.ts$/, '.mjs'))),
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

function readCounts(path) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // no summary: the run died before reporting (counted by the caller)
  }
  rmSync(path, { force: true });
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { pass: count('pass'), fail: count('fail') + count('cancelled') };
}

/** A prefix for the PostgreSQL databases of one run (test/support/database.ts names them after it). */
export function databasePrefix() {
  return `plio_test_${process.pid}_${Date.now().toString(36)}`;
}

export async function dropTestDatabases(prefix) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const { rows } = await client.query('select datname from pg_database where datname like $1', [`${prefix}%`]);
  for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  await client.end();
}
