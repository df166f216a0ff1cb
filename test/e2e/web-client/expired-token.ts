/**
 * A user comes back after their access token expired: reloading the page
 * refreshes the token behind the scenes and shows their home, not an error
 * page. Once the refresh token is dead too, the client signs them out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { credentialsChanged } from '../../../src/accounts/credential-cache.ts';
import { asUser, CLIENT_ORIGIN, pageText, see, signInWithOtp, webClient } from '../support/web-client.ts';

const PHONE = '9876500003';

/** The token pair the client keeps in its store. */
const storedTokens = (page: Page) =>
  page.evaluate(() => {
    const { accessToken } = (window as unknown as { __store__: { state: { auth: { accessToken: { access_token: string; refresh_token: string } } } } }).__store__.state.auth;
    return { access: accessToken.access_token, refresh: accessToken.refresh_token };
  });

/** Makes the user's tokens of `table` dead as of a minute ago, as time would (and tells running servers). */
async function expire(table: 'public.oauth_access_token' | 'public.oauth_refresh_token', mobile: string): Promise<void> {
  const { db } = (await webClient()).app.context;
  const user = await db.selectFrom('public.user').select('id').where('mobile', '=', mobile).executeTakeFirstOrThrow();
  await db.updateTable(table).set({ expires_at: new Date(Date.now() - 60_000) }).where('user_id', '=', user.id).execute();
  await credentialsChanged(db, [user.id]);
}

describe('the web client: coming back with an expired token', () => {
  it('a reload after the access token expired refreshes it and shows the home page; a dead refresh token signs the user out', async () => {
    await asUser('reload-with-expired-token', async (page) => {
      await signInWithOtp(page, PHONE);
      await see(page, 'Go ahead and create a plio');
      const before = await storedTokens(page);

      await expire('public.oauth_access_token', `+91${PHONE}`);
      const refreshed = page.waitForResponse((response) => response.url().endsWith('/auth/token/') && response.request().method() === 'POST');
      await page.reload();
      assert.equal((await refreshed).status(), 200);
      await see(page, 'Go ahead and create a plio');
      const text = await pageText(page);
      assert.doesNotMatch(text, /Page Not Found|Access Denied|Something went wrong/);
      assert.equal(new URL(page.url()).pathname, '/home');
      const after = await storedTokens(page);
      assert.notEqual(after.access, before.access, 'the client should hold a new access token');

      await expire('public.oauth_access_token', `+91${PHONE}`);
      await expire('public.oauth_refresh_token', `+91${PHONE}`);
      await page.reload();
      await page.waitForURL(`${CLIENT_ORIGIN}/login`);
      await page.locator('[data-test="phone"] input').waitFor({ state: 'visible' });
    });
  });
});
