/**
 * What the browser tests of the real web client run against, once per run:
 * our server booted in process on 127.0.0.1:8001 (the backend the client was
 * built for, with its OAuth client and OTP codes in an outbox file), the
 * built client served on 127.0.0.1:8080 (the origin it was built for) and one
 * headless Chromium. Each journey opens its own browser context.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, launchBrowser } from '../../support/browser.ts';
import { startApp, type TestApp } from '../../support/app.ts';

/** The origins baked into the build (`/work/shared/plio-web/README.md`). */
export const BACKEND_ORIGIN = 'http://127.0.0.1:8001';
export const CLIENT_ORIGIN = 'http://127.0.0.1:8080';
export const OAUTH_CLIENT = Object.freeze({ id: 'fe-e2e-client', secret: 'fe-e2e-secret' });

/**
 * The built client: `PLIO_WEB_DIR`, or `../shared/plio-web` beside the
 * repository (where CI and the coordinator's checkout find it). Tests run
 * from the repository's root, compiled elsewhere (scripts/test-runs.mjs).
 */
export function plioWebDir(): string {
  return resolve(process.env.PLIO_WEB_DIR ?? join('..', 'shared', 'plio-web'));
}

export interface WebClientStack {
  readonly app: TestApp;
  readonly browser: Browser;
  /** The file the outbox SMS driver writes one JSON line per message to. */
  readonly outboxFile: string;
  /** The YouTube stand-ins every context installs before any page script runs. */
  readonly initScripts: readonly string[];
  close(): Promise<void>;
}

export async function startWebClientStack(): Promise<WebClientStack> {
  const webDir = plioWebDir();
  const dist = join(webDir, 'dist');
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`the built web client is not at ${webDir} (dist/index.html missing): set PLIO_WEB_DIR`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is not at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);

  const scratch = mkdtempSync(join(tmpdir(), 'plio-e2e-'));
  const outboxFile = join(scratch, 'outbox.jsonl');
  const app = await startApp({
    DEFAULT_OAUTH2_CLIENT_ID: OAUTH_CLIENT.id,
    DEFAULT_OAUTH2_CLIENT_SECRET: OAUTH_CLIENT.secret,
    SMS_DRIVER: 'outbox',
    SMS_OUTBOX_FILE: outboxFile,
    MEDIA_ROOT: join(scratch, 'media'),
    HOST: '127.0.0.1',
    PORT: '8001',
  });
  const started: { close(): Promise<unknown> }[] = [app];
  try {
    await app.app.listen({ host: '127.0.0.1', port: 8001 });
    const client = await serveClient(dist, 8080);
    started.push({ close: () => new Promise((done) => client.close(done)) });
    const browser = await launchBrowser();
    started.push(browser);
    const initScripts = ['yt-stub.js', 'ytdata-stub.js'].map((name) => readFileSync(join(webDir, name), 'utf8'));
    return {
      app,
      browser,
      outboxFile,
      initScripts,
      async close() {
        for (const part of started.reverse()) await part.close();
        rmSync(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'application/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.json': 'application/json',
};

/** The client's static files with the SPA fallback its nginx has (`try_files $uri /index.html`), as `serve.cjs` does. */
function serveClient(root: string, port: number): Promise<Server> {
  const fileFor = (url: string): string => {
    let wanted: string;
    try {
      wanted = normalize(decodeURIComponent(url.split('?')[0]!));
    } catch {
      return join(root, 'index.html');
    }
    const file = join(root, wanted);
    const isFile = file.startsWith(root + sep) && existsSync(file) && statSync(file).isFile();
    return isFile ? file : join(root, 'index.html');
  };
  const server = createServer((request, response) => {
    const file = fileFor(request.url ?? '/');
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((ready, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ready(server));
  });
}
