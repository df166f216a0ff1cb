/**
 * A learner arrives from a partner's site with single sign-on: the play link
 * carries their `unique_id` and the organization's `api_key`. They play the
 * organization's plio without any login page and their answer is theirs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMembership, createUser } from '../../support/users.ts';
import { asUser, BACKEND_ORIGIN, chooseEnglishIfAsked, CLIENT_ORIGIN, VIDEO_URL, webClient } from '../support/web-client.ts';

const ORGANIZATION = { name: 'Partner School', shortcode: 'partner' };
const STUDENT = 'student-42';
const QUESTION = 'How many sides has a triangle?';

describe('the web client: single sign-on from a partner site', () => {
  it('a learner opens the play link with unique_id and api_key, plays the plio and answers as that user', async () => {
    const { app } = await webClient();
    const organization = await app.context.tenancy.organizations.create(ORGANIZATION);
    const uuid = await publishOrganizationPlio(organization.id);

    await asUser('sso-play', async (page) => {
      const signedIn = page.waitForResponse((response) => response.url().endsWith('/auth/generate-external-auth-access-token/'));
      await page.goto(`${CLIENT_ORIGIN}/${ORGANIZATION.shortcode}/play/${uuid}?unique_id=${STUDENT}&api_key=${organization.apiKey}`);
      assert.equal((await signedIn).status(), 200);
      await page.locator('.plyr').first().waitFor({ state: 'visible' });
      assert.doesNotMatch(new URL(page.url()).pathname, /login|404|403/);
      await chooseEnglishIfAsked(page);

      await page.locator('.plyr__control--overlaid').first().click();
      await page.locator('[data-test="questionText"]').filter({ hasText: QUESTION }).waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('[data-test="optionSelector-1"]').click();
      const saved = page.waitForResponse((response) => response.url().includes('/api/v1/session-answers/') && response.request().method() === 'PUT');
      await page.locator('[data-test="submitButton"]').click();
      assert.equal((await saved).status(), 200);
      await page.locator('[data-test="proceedButton"]').waitFor({ state: 'visible' });
    });

    // The answer belongs to the SSO user of that organization, in the organization's schema.
    const { db } = app.context;
    const student = await db.selectFrom('public.user').select('id').where('unique_id', '=', STUDENT).where('auth_org_id', '=', organization.id).executeTakeFirstOrThrow();
    const answers = await db
      .withSchema(organization.schemaName)
      .selectFrom('session_answer as a')
      .innerJoin('session as s', 's.id', 'a.session_id')
      .select('a.answer')
      .where('s.user_id', '=', student.id)
      .execute();
    assert.deepEqual(answers.map((row) => row.answer), [1]);
  });
});

/** A published plio with one MCQ in the organization's workspace, made through the API by one of its members. */
async function publishOrganizationPlio(organizationId: number): Promise<string> {
  const { app } = await webClient();
  const author = await createUser(app);
  await addMembership(app, author.id, organizationId, 'org-admin');
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${BACKEND_ORIGIN}/api/v1/${path}`, {
      method,
      headers: { ...author.headers(ORGANIZATION.shortcode), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const video = await call('POST', 'videos/', { url: VIDEO_URL, duration: 12 });
  const plio = await call('POST', 'plios/', { name: 'Shapes', video: video.id, status: 'published', is_public: true });
  const item = await call('POST', 'items/', { plio: plio.id, type: 'question', time: 2 });
  await call('POST', 'questions/', { item: item.id, type: 'mcq', text: QUESTION, options: ['Two', 'Three'], correct_answer: 1 });
  return plio.uuid as string;
}
