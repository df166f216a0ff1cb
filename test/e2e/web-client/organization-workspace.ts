/**
 * An organization's workspace: its admin copies a plio from their personal
 * workspace into it, switches to it, and finds its member on the Members page
 * (an email, not "N/A", and no "Access Denied").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsChanged } from '../../../src/accounts/credential-cache.ts';
import { addMembership } from '../../support/users.ts';
import { asUser, BACKEND_ORIGIN, CLIENT_ORIGIN, pageText, see, signInWithOtp, VIDEO_URL, webClient } from '../support/web-client.ts';

const ADMIN_PHONE = '9876500004';
const ORGANIZATION = { name: 'Avanti Fellows', shortcode: 'af' };
const MEMBER = { first_name: 'Asha', last_name: 'Rao', email: 'asha.rao@example.org' };
const PLIO_NAME = 'Fractions for beginners';

describe("the web client: an organization's workspace", () => {
  it('its admin copies a personal plio into it, switches to it and finds the member on the Members page', async () => {
    const { app } = await webClient();
    const { db } = app.context;
    // What an operator does: `plio org create`; then the memberships.
    const organization = await app.context.tenancy.organizations.create(ORGANIZATION);
    const member = await db.insertInto('public.user').values(MEMBER).returning('id').executeTakeFirstOrThrow();
    await addMembership(app, member.id, organization.id, 'org-view');

    await asUser('organization-workspace', async (page, context) => {
      await signInWithOtp(page, ADMIN_PHONE);
      const admin = await db.selectFrom('public.user').select('id').where('mobile', '=', `+91${ADMIN_PHONE}`).executeTakeFirstOrThrow();
      await addMembership(app, admin.id, organization.id, 'org-admin');
      await credentialsChanged(db, [admin.id]);

      // A published plio of the admin's own, made through the API as the editor would.
      const token = await page.evaluate(() => (window as unknown as { __store__: { state: { auth: { accessToken: { access_token: string } } } } }).__store__.state.auth.accessToken.access_token);
      await createPersonalPlio(token);

      await page.reload();
      const row = page.locator('[data-test="plioListItem"]').filter({ hasText: PLIO_NAME });
      await row.waitFor({ state: 'visible' });
      await row.locator('[data-test="toggleButton"]').click();
      await page.locator('[data-test="option-copy"]').first().click();
      // Copying opens the target workspace's home in a new tab.
      const [copied, workspaceTab] = await Promise.all([
        page.waitForResponse((response) => response.url().endsWith('/copy/') && response.request().method() === 'POST'),
        context.waitForEvent('page'),
        page.locator('li[role="option"]').filter({ hasText: ORGANIZATION.name }).click(),
      ]);
      assert.ok(copied.ok(), `copy answered ${copied.status()}`);
      await workspaceTab.waitForURL(`${CLIENT_ORIGIN}/${ORGANIZATION.shortcode}/home`);
      const copy = workspaceTab.locator('[data-test="plioListItem"]').filter({ hasText: PLIO_NAME });
      await copy.waitFor({ state: 'visible' });
      assert.match((await copy.innerText()).replace(/\s+/g, ' '), /Draft/, 'a copy is a draft in its new workspace');
      await workspaceTab.close();

      // Back in the first tab, the admin switches workspace with the switcher.
      await page.locator(`select:has(option[value="${ORGANIZATION.shortcode}"])`).first().selectOption(ORGANIZATION.shortcode);
      await page.waitForURL(`${CLIENT_ORIGIN}/${ORGANIZATION.shortcode}/home`);
      await page.locator('[data-test="plioListItem"]').filter({ hasText: PLIO_NAME }).waitFor({ state: 'visible' });

      await page.locator('[data-test="settingsButton"]').first().click();
      await page.locator('[data-test="tab-members"]').first().click();
      await see(page, MEMBER.email);
      const members = await pageText(page);
      // The page lists each member by email, or mobile number when there is none, with the role.
      assert.match(members, new RegExp(`${MEMBER.email} Viewer`));
      assert.match(members, new RegExp(`\\+91${ADMIN_PHONE}`));
      assert.doesNotMatch(members, /N\/A|Access Denied|Failed to load members/);
      assert.equal(new URL(page.url()).pathname, `/${ORGANIZATION.shortcode}/home`);
    });
  });
});

async function createPersonalPlio(token: string): Promise<void> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${BACKEND_ORIGIN}/api/v1/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', organization: '' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const video = await call('POST', 'videos/', { url: VIDEO_URL, duration: 12 });
  await call('POST', 'plios/', { name: PLIO_NAME, video: video.id, status: 'published' });
}
