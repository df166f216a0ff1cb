/**
 * Real Chromium for browser tests: Debian's `/usr/bin/chromium` driven by
 * playwright-core (no browser download). One browser per test file; each
 * test opens its own context so cookies and storage never leak between them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where failure screenshots go (CI keeps the folder as evidence). */
export const SCREENSHOT_DIR = process.env.E2E_SCREENSHOT_DIR ?? join('test-results', 'screenshots');

/**
 * Launches headless Chromium with what this offline machine needs: no
 * background networking (its connections would be refused by the closed
 * network) and every host but loopback failing at once instead of waiting
 * on DNS.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ],
  });
}

/**
 * Runs `body` with a fresh page; when it throws, saves a full-page
 * screenshot named after the test before passing the failure on.
 */
export async function withPage<T>(
  browser: Browser,
  name: string,
  body: (page: Page, context: BrowserContext) => Promise<T>,
  contextOptions: Parameters<Browser['newContext']>[0] = {},
): Promise<T> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  const page = await context.newPage();
  try {
    return await body(page, context);
  } catch (error) {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}
