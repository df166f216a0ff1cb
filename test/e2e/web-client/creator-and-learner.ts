/**
 * The golden path: a creator signs in with an OTP, builds a plio in the
 * editor (video, an MCQ with an image, a subjective and a checkbox
 * question), publishes it; a second user plays it, answers and reads the
 * scorecard; the creator finds it in the list (with its thumbnail), reads
 * the dashboard and downloads the report.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { unzip } from '../../support/zip-archive.ts';
import { asUser, CLIENT_ORIGIN, pageText, see, signInWithOtp, VIDEO_ID, VIDEO_URL } from '../support/web-client.ts';

const CREATOR_PHONE = '9876500001';
const LEARNER_PHONE = '9876500002';
const PLIO_NAME = 'Photosynthesis basics';

/** A 1×1 PNG: what a creator uploads as the MCQ's image. */
const LEAF_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** Moves the editor's timeline to `seconds`: no question selected, new ones are added there. */
async function moveTimelineTo(page: Page, seconds: number): Promise<void> {
  await page.locator('[data-test="mainSlider"]').evaluate((slider: HTMLInputElement, value) => {
    slider.value = String(value);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, seconds);
  await page.locator('[data-test="addMCQItem"]').waitFor({ state: 'visible' });
}

/** Adds a question of `kind` at the timeline's position and types its text (and options), waiting until it is saved. */
async function addQuestion(page: Page, kind: 'MCQItem' | 'SubjectiveQuestionItem' | 'CheckboxQuestionItem', text: string, options: string[] = []) {
  const created = page.waitForResponse((response) => response.url().endsWith('/api/v1/questions/') && response.request().method() === 'POST');
  await page.locator(`[data-test="add${kind}"]`).click();
  assert.equal((await created).status(), 201);
  const saved = page.waitForResponse(
    (response) => /\/api\/v1\/questions\/\d+\/$/.test(response.url()) && response.request().method() === 'PUT' && response.request().postDataJSON().text === text,
  );
  await page.locator('[data-test="questionText"] textarea').fill(text);
  for (const [index, option] of options.entries()) await page.locator('[data-test="option"] input').nth(index).fill(option);
  assert.equal((await saved).status(), 200);
}

describe('the web client: a creator builds and publishes a plio, a learner plays it, the creator reads the results', () => {
  let uuid = '';

  it('the creator signs in with an OTP, creates a plio, edits it (video, three question kinds, an image) and publishes it', async () => {
    await asUser('creator-builds-a-plio', async (page) => {
      await signInWithOtp(page, CREATOR_PHONE);
      await see(page, 'Go ahead and create a plio');

      const created = page.waitForResponse((response) => response.url().endsWith('/api/v1/plios/') && response.request().method() === 'POST');
      await page.locator('[data-test="create"]').first().click();
      uuid = (await (await created).json()).uuid;
      await page.waitForURL(`${CLIENT_ORIGIN}/edit/${uuid}`);

      await page.locator('[data-test="videoLinkInput"] input').fill(VIDEO_URL);
      await page.locator('[data-test="videoPreview"] button[aria-label^="Play,"]').first().waitFor();
      const named = page.waitForResponse((response) => response.request().method() === 'PATCH' && response.request().postData()?.includes(PLIO_NAME) === true);
      await page.locator('[data-test="plioName"] input').fill(PLIO_NAME);
      await named;

      await moveTimelineTo(page, 2);
      await addQuestion(page, 'MCQItem', 'Which gas do leaves take in?', ['Carbon dioxide', 'Oxygen']);
      await page.locator('[data-test="questionImage"]').first().click();
      const uploaded = page.waitForResponse((response) => response.url().endsWith('/api/v1/images/'));
      await page.locator('[data-test="imageUploaderDialog"] input[type=file]').setInputFiles({ name: 'leaf.png', mimeType: 'image/png', buffer: LEAF_PNG });
      await page.locator('[data-test="submitImageButton"]').click();
      assert.equal((await uploaded).status(), 201);
      // The editor shows the uploaded image, loaded from our server.
      await page.locator('img[src*="/media/"]').first().waitFor({ state: 'visible' });

      await moveTimelineTo(page, 5);
      await addQuestion(page, 'SubjectiveQuestionItem', 'What does a leaf make?');
      await moveTimelineTo(page, 8);
      await addQuestion(page, 'CheckboxQuestionItem', 'Which are parts of a plant?', ['Root', 'Stem']);

      await page.locator('[data-test="publishButton"]').click();
      await page.locator('[data-test="dialogBox"] [data-test="confirmButton"]').click();
      await see(page, 'Hooray! Your Plio is ready');
      assert.match(await pageText(page), /Published/);
    });
  });

  it('a second user plays it, answers the three questions and reads the scorecard', async () => {
    await asUser('learner-plays-the-plio', async (page) => {
      await signInWithOtp(page, LEARNER_PHONE);
      await page.goto(`${CLIENT_ORIGIN}/play/${uuid}`);
      await page.locator('.plyr').first().waitFor({ state: 'visible' });
      await page.locator('.plyr__control--overlaid').first().click();

      const question = page.locator('[data-test="questionText"]');
      const answer = async (text: string, respond: () => Promise<void>) => {
        await question.filter({ hasText: text }).waitFor({ state: 'visible', timeout: 20_000 });
        await respond();
        const saved = page.waitForResponse((response) => response.url().includes('/api/v1/session-answers/') && response.request().method() === 'PUT');
        await page.locator('[data-test="submitButton"]').click();
        assert.equal((await saved).status(), 200);
        await page.locator('[data-test="proceedButton"]').click();
      };
      await answer('Which gas do leaves take in?', () => page.locator('[data-test="optionSelector-0"]').click());
      await answer('What does a leaf make?', () => page.locator('[data-test="subjectiveAnswer"] textarea, textarea[data-test="subjectiveAnswer"]').first().fill('Sugar, from sunlight'));
      await answer('Which are parts of a plant?', async () => {
        await page.locator('[data-test="optionSelector-0"]').click();
        await page.locator('[data-test="optionSelector-1"]').click();
      });

      const scorecard = page.locator('#scorecardmodal');
      await scorecard.waitFor({ state: 'visible', timeout: 30_000 });
      const text = (await scorecard.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /Hooray! Congratulations on completing the plio!/);
      // MCQ right, subjective right (any answer is), checkbox wrong (only Root is correct).
      assert.match(text, /2 Correct/);
      assert.match(text, /1 Wrong/);
      assert.match(text, /0 Skipped/);
    });
  });

  it("the creator sees it in the list with its thumbnail and one viewer, reads the dashboard and downloads the report", async () => {
    await asUser('creator-reads-the-results', async (page) => {
      await signInWithOtp(page, CREATOR_PHONE);
      const row = page.locator('[data-test="plioListItem"]').filter({ hasText: PLIO_NAME });
      await row.waitFor({ state: 'visible' });
      assert.match((await row.innerText()).replace(/\s+/g, ' '), /Published/);
      // The thumbnail is the video's, from the list row's video_url.
      await page.locator(`[data-test="videoThumbnail"][src*="${VIDEO_ID}"]`).first().waitFor({ state: 'attached' });
      assert.equal(await page.locator('[data-test="defaultThumbnail"]').count(), 0);

      await page.goto(`${CLIENT_ORIGIN}/analyse/${uuid}`);
      await see(page, PLIO_NAME);
      await page.locator('[data-test="numViewers"]').filter({ hasText: '1' }).waitFor({ state: 'visible' });
      const dashboard = await pageText(page);
      assert.doesNotMatch(dashboard, /Page Not Found|Access Denied|Something went wrong/);
      // One viewer who answered all three questions, two of them right (the client shows 66.67 as 66%).
      // Retention at one minute is N/A for a 12-second video, as in the reference.
      assert.match(dashboard, /VIEWERS 1 /);
      assert.match(dashboard, /100% COMPLETED/);
      assert.match(dashboard, /66% ACCURACY/);
      assert.match(dashboard, /3 QUESTIONS ANSWERED/);

      const download = page.waitForEvent('download');
      await page.locator('[data-test="download"]').click();
      const file = await (await download).path();
      const files = await unzip(await readFile(file));
      for (const name of ['sessions.csv', 'responses.csv', 'events.csv', 'plio-meta-details.csv']) assert.ok(files.has(name), `report lacks ${name}`);
      assert.match(files.get('responses.csv')!.toString(), /Sugar, from sunlight/);
    });
  });
});
