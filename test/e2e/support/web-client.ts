/**
 * What every journey through the real web client needs: the one stack of the
 * run (started by the first journey, closed after the last), a fresh browser
 * context per user with the YouTube stand-ins installed, signing in as a
 * user would, and waiting for what the user sees.
 */
import { after } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { lastOtp } from '../../api/accounts/support.ts';
import { withPage } from '../../support/browser.ts';
import { BACKEND_ORIGIN, CLIENT_ORIGIN, startWebClientStack, type WebClientStack } from './web-client-stack.ts';

export { BACKEND_ORIGIN, CLIENT_ORIGIN } from './web-client-stack.ts';

/** Seconds the stand-in YouTube video lasts: short, so that a learner plays it through in real time. */
export const VIDEO_SECONDS = 12;
export const VIDEO_URL = 'https://www.youtube.com/watch?v=jNQXAC9IVRw';
export const VIDEO_ID = 'jNQXAC9IVRw';

let running: Promise<WebClientStack> | undefined;

/** The run's stack, started on first use. */
export function webClient(): Promise<WebClientStack> {
  running ??= startWebClientStack();
  return running;
}

after(async () => {
  if (running) await (await running).close();
});

/**
 * Runs `body` as one user in their own browser context (cookies and local
 * storage of their own); a failure leaves a screenshot named after `name`.
 */
export async function asUser<T>(name: string, body: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
  const stack = await webClient();
  return withPage(stack.browser, name, async (page, context) => {
    await context.addInitScript(`window.__FAKE_YT_DURATION__ = ${VIDEO_SECONDS}; window.__FAKE_YT_ISO_DURATION__ = "PT${VIDEO_SECONDS}S";`);
    for (const script of stack.initScripts) await context.addInitScript(script);
    page.setDefaultTimeout(15_000);
    if (process.env.E2E_TRACE) traceBackendCalls(name, page);
    return body(page, context);
  }, { acceptDownloads: true });
}

/** Waits until `text` is visible on the page (the first match). */
export async function see(page: Page, text: string | RegExp): Promise<void> {
  await page.getByText(text).first().waitFor({ state: 'visible' });
}

/** Signs in on /login with a 10-digit Indian number (the UI adds +91), reading the code from the SMS outbox. */
export async function signInWithOtp(page: Page, phone: string): Promise<void> {
  const stack = await webClient();
  await page.goto(`${CLIENT_ORIGIN}/login`);
  await page.locator('[data-test="phone"] input').fill(phone);
  const requested = page.waitForResponse((response) => response.url().endsWith('/api/v1/otp/request/'));
  await page.locator('[data-test="requestOTP"]').click();
  await requested;
  await page.locator('[data-test="otp"] input').fill(await lastOtp(stack.outboxFile, `+91${phone}`));
  await page.locator('[data-test="submitOTP"]').click();
  await page.waitForURL(/\/home$/);
  await chooseEnglishIfAsked(page);
}

/** The language picker shown to a new user on first sign-in. */
export async function chooseEnglishIfAsked(page: Page): Promise<void> {
  const english = page.locator('[data-test="languagePicker-en"]');
  await english.waitFor({ state: 'visible', timeout: 3000 }).then(
    () => english.click(),
    () => undefined,
  );
}

/** The text of the page, whitespace collapsed: for assertions on what the user reads. */
export async function pageText(page: Page): Promise<string> {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

/** `E2E_TRACE=1`: every call the client makes to the backend, and the page's errors, on stderr. */
function traceBackendCalls(name: string, page: Page): void {
  page.on('response', (response) => {
    if (!response.url().startsWith(BACKEND_ORIGIN)) return;
    const body = response.request().postData()?.slice(0, 160) ?? '';
    process.stderr.write(`[${name}] ${response.request().method()} ${response.status()} ${response.url().slice(BACKEND_ORIGIN.length)} ${body}\n`);
  });
  page.on('pageerror', (error) => process.stderr.write(`[${name}] page error: ${error.stack ?? error.message}\n`));
}
