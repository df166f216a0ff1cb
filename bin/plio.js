#!/usr/bin/env node
// The plio command. Runs the compiled build (dist/plio.mjs, made by
// `npm ci` through the prepare script), rebuilding it first when a source
// file changed since; compiling on the fly (tsx) is the fallback when the
// build cannot be written (a read-only install).
import { build, isBuildFresh, output } from '../scripts/build.mjs';
import { pathToFileURL } from 'node:url';

let compiled = isBuildFresh();
if (!compiled) {
  try {
    await build();
    compiled = true;
  } catch {
    compiled = false;
  }
}
if (compiled) {
  await import(pathToFileURL(output).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
