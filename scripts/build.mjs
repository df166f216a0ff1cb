#!/usr/bin/env node
// Compiles the TypeScript sources once into dist/plio.mjs (one ES module,
// packages left as imports), so that `plio` and `npm start` start without
// compiling at every run. `npm ci` runs it through the `prepare` script;
// bin/plio.js runs it again when a source file is newer than the build.
//
//   node scripts/build.mjs          build unless up to date
//   node scripts/build.mjs --force  build anyway
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const entry = join(root, 'src/cli/main.ts');
const outdir = join(root, 'dist');
export const output = join(outdir, 'plio.mjs');

/** Milliseconds of the newest file under `dir` (0 for none). */
function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/plio.mjs exists and no TypeScript source is newer. */
export function isBuildFresh() {
  let built;
  try {
    built = statSync(output).mtimeMs;
  } catch {
    return false;
  }
  return built >= newestUnder(join(root, 'src'));
}

/**
 * How TypeScript is compiled to run without a loader: bundled per entry
 * point with the chunks they share split out, packages left as imports,
 * source maps inline (so stack traces name the .ts lines under
 * --enable-source-maps). The test runner compiles test files the same way
 * (scripts/test-runs.mjs).
 */
export const compileOptions = {
  bundle: true,
  splitting: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'inline',
  logLevel: 'warning',
};

/**
 * Bundles src/ into dist/: plio.mjs and the chunks it imports on demand
 * (`plio serve` loads the whole application; other commands load only what
 * they use). Chunks have content-hashed names and are written first; the
 * entry is written beside its final name and renamed last, so a process
 * starting meanwhile runs the old build or the new one, never half of one.
 */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    ...compileOptions,
    entryPoints: { plio: entry },
    outdir,
    chunkNames: 'chunk-[hash]',
    write: false,
  });
  mkdirSync(outdir, { recursive: true });
  const chunks = result.outputFiles.filter((file) => file.path !== output);
  for (const chunk of chunks) writeFileSync(chunk.path, chunk.contents);
  const temporary = `${output}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles.find((file) => file.path === output).contents);
  renameSync(temporary, output);
  const current = new Set([basename(output), ...chunks.map((chunk) => basename(chunk.path))]);
  for (const name of readdirSync(outdir)) {
    if (!current.has(name) && name.startsWith('chunk-')) rmSync(join(outdir, name), { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--force') || !isBuildFresh()) await build();
}
