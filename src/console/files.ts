import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder, found from this module: the same answer when
 * the code runs from src/ (tsx, tests) and from the build in dist/.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the console module');
    dir = parent;
  }
  return dir;
}

const consoleDir = join(packageRoot(), 'src', 'console');

/** The Eta templates of the console's pages. */
export const VIEWS_DIR = join(consoleDir, 'views');

/** Static files the console serves, read once: its style sheet and htmx from node_modules (never a CDN). */
export function readAssets(): ReadonlyMap<string, { type: string; body: Buffer }> {
  const require = createRequire(import.meta.url);
  return new Map([
    ['console.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(consoleDir, 'assets', 'console.css')) }],
    ['htmx.min.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('htmx.org/dist/htmx.min.js')) }],
  ]);
}
