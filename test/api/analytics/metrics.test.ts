import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withRetentionFacts } from '../../../src/learning/retention-facts.ts';
import { analyticsFixtures, type AnalyticsFixtures } from '../../support/analytics-fixtures.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';

/**
 * Metrics of a plio, ported from the reference's `test_metrics.py` and the
 * metrics cases of `plio/tests.py`: every expected value is worked out by
 * hand from the seeded timeline. Then the cases the reference gets wrong.
 */
describe('GET /api/v1/plios/{uuid}/metrics/', () => {
  let app: TestApp;
  let creator: TestUser;
  let seed: AnalyticsFixtures;

  before(async () => {
    app = await startApp();
    creator = await createUser(app);
    seed = analyticsFixtures(app);
  });
  after(() => app.close());

  const metrics = async (uuid: string, user: TestUser = creator, organization?: string) => {
    const response = await app.request({ method: 'GET', url: `/api/v1/plios/${uuid}/metrics/`, headers: user.headers(organization) });
    return { status: response.statusCode, body: response.json() };
  };

  describe('as the reference computes them', () => {
    it('is {has_survey_question} alone for a plio nobody has watched, with or without questions', async () => {
      const bare = await seed.plio({ createdBy: creator.id });
      assert.deepEqual(await metrics(bare.uuid), { status: 200, body: { has_survey_question: false } });
      const survey = await seed.plio({ createdBy: creator.id });
      await seed.question(survey.id, { time: 5, survey: true });
      assert.deepEqual(await metrics(survey.uuid), { status: 200, body: { has_survey_question: true } });
      const quiz = await seed.plio({ createdBy: creator.id });
      await seed.question(quiz.id, { time: 5 });
      assert.deepEqual(await metrics(quiz.uuid), { status: 200, body: { has_survey_question: false } });
    });

    it("counts viewers and averages watch time over each viewer's latest session", async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: { duration: 30 } });
      const [a, b] = [await seed.learner(), await seed.learner()];
      await seed.session(plio.id, a, { watchTime: 10 });
      await seed.session(plio.id, a, { watchTime: 30 });
      await seed.session(plio.id, b, { watchTime: 50 });
      const decoy = await seed.plio({ createdBy: creator.id, video: { duration: 30 } });
      await seed.session(decoy.id, await seed.learner(), { watchTime: 999 });

      assert.deepEqual(await metrics(plio.uuid), {
        status: 200,
        body: {
          unique_viewers: 2,
          average_watch_time: 40, // (30 + 50) / 2: A's earlier 10 s is superseded
          percent_one_minute_retention: null, // a 30 s video
          accuracy: null, // no questions
          average_num_answered: null,
          percent_completed: null,
          has_survey_question: false,
        },
      });
    });

    it('measures one-minute retention from the retention strings, out of every viewer', async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: { duration: 60 } });
      // watching at second 60 (index 59)
      await seed.session(plio.id, await seed.learner(), { watchTime: 60, retention: [...Array(59).fill('0'), '1'].join(',') });
      // the first 30 seconds only
      await seed.session(plio.id, await seed.learner(), { watchTime: 30, retention: [...Array(30).fill('1'), ...Array(30).fill('0')].join(',') });
      // nothing recorded: cannot say, still a viewer
      await seed.session(plio.id, await seed.learner(), { watchTime: 0, retention: '' });

      const { body } = await metrics(plio.uuid);
      assert.equal(body.unique_viewers, 3);
      assert.equal(body.percent_one_minute_retention, 33.33); // 1 of 3
    });

    it('measures retention on a longer video: two of three viewers still there after a minute', async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: { duration: 100 } });
      const pastTheMark = (value: string) => [...Array(59).fill('0'), ...Array(41).fill(value)].join(',');
      await seed.session(plio.id, await seed.learner(), { watchTime: 20, retention: pastTheMark('2') });
      await seed.session(plio.id, await seed.learner(), { watchTime: 50, retention: pastTheMark('1') });
      await seed.session(plio.id, await seed.learner(), { watchTime: 100, retention: Array(100).fill('0').join(',') });
      assert.equal((await metrics(plio.uuid)).body.percent_one_minute_retention, 66.67);
    });

    it('reads counts of several digits, and refuses strings with gaps or of the wrong length', async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: { duration: 100 } });
      const counts = (at60: string, length = 100) => [...Array(59).fill('0'), at60, ...Array(length - 60).fill('0')].join(',');
      await seed.session(plio.id, await seed.learner(), { watchTime: 60, retention: counts('10') }); // retained
      await seed.session(plio.id, await seed.learner(), { watchTime: 60, retention: counts('100') }); // retained
      await seed.session(plio.id, await seed.learner(), { watchTime: 60, retention: counts('1', 99) }); // wrong length
      await seed.session(plio.id, await seed.learner(), { watchTime: 60, retention: `,${counts('1').slice(2)}` }); // 100 entries, the first one empty
      const session = await seed.session(plio.id, await seed.learner(), { watchTime: 60, retention: counts('0') });
      assert.equal((await metrics(plio.uuid)).body.percent_one_minute_retention, 40); // 2 of 5
      // the stored facts follow the string when a session is updated (as the write path stores them)
      await app.context.db.withSchema('public').updateTable('session').set(withRetentionFacts(counts('3'))).where('id', '=', session).execute();
      assert.equal((await metrics(plio.uuid)).body.percent_one_minute_retention, 60);
    });

    it('gives 0% retention when no retention string is usable, and zeros when questions went unanswered', async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: { duration: 100 } });
      const item = await seed.question(plio.id, { time: 1 });
      const session = await seed.session(plio.id, await seed.learner(), { watchTime: 20, retention: 'NaN,NaN' });
      await seed.answer(session, item);
      await seed.session(plio.id, await seed.learner(), { watchTime: 50 });

      const { body } = await metrics(plio.uuid);
      assert.equal(body.percent_one_minute_retention, 0);
      assert.equal(body.accuracy, null); // nobody answered anything
      assert.equal(body.average_num_answered, 0);
      assert.equal(body.percent_completed, 0);
    });

    it('derives accuracy, answers per viewer and completion from a constructed answer timeline', async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: { duration: 30 } });
      const first = await seed.question(plio.id, { time: 10, correctAnswer: 0 });
      const second = await seed.question(plio.id, { time: 20, correctAnswer: 0 });
      const a = await seed.session(plio.id, await seed.learner(), { watchTime: 20 });
      await seed.answer(a, first, 0); // right
      await seed.answer(a, second, 1); // wrong
      const b = await seed.session(plio.id, await seed.learner(), { watchTime: 40 });
      await seed.answer(b, first, null); // skipped
      await seed.answer(b, second, null);
      const decoy = await seed.plio({ createdBy: creator.id });
      const decoyItem = await seed.question(decoy.id, { time: 5 });
      await seed.answer(await seed.session(decoy.id, await seed.learner(), { watchTime: 15 }), decoyItem, 0);

      assert.deepEqual((await metrics(plio.uuid)).body, {
        unique_viewers: 2,
        average_watch_time: 30,
        percent_one_minute_retention: null,
        accuracy: 50, // A: 1 of 2; B answered nothing and is left out
        average_num_answered: 1, // round(mean(2, 0))
        percent_completed: 50, // A only
        has_survey_question: false,
      });
    });

    it('grades mcq, checkbox and subjective answers, rounding answers per viewer half to even', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const mcq = await seed.question(plio.id, { time: 1, type: 'mcq', options: ['', ''], correctAnswer: 0 });
      const checkbox = await seed.question(plio.id, { time: 10, type: 'checkbox', options: ['', ''], correctAnswer: [0, 1] });
      const subjective = await seed.question(plio.id, { time: 20, type: 'subjective' });
      const first = await seed.session(plio.id, await seed.learner(), { watchTime: 20 });
      await seed.answer(first, mcq, 0); // right
      await seed.answer(first, checkbox, [1]); // wrong
      await seed.answer(first, subjective, 'abcd'); // any answer is right
      const second = await seed.session(plio.id, await seed.learner(), { watchTime: 40 });
      await seed.answer(second, mcq, 1); // wrong
      await seed.answer(second, checkbox, [0, 1]); // right
      await seed.answer(second, subjective, null);

      const { body } = await metrics(plio.uuid);
      assert.equal(body.average_num_answered, 2); // round(2.5), half to even
      assert.equal(body.percent_completed, 50);
      assert.equal(body.accuracy, 58.33); // mean(2/3, 1/2)
    });
  });

  describe('where the reference is wrong', () => {
    it('leaves soft-deleted sessions out: a deleted latest session gives way to the one before', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const item = await seed.question(plio.id, { time: 5, correctAnswer: 0 });
      const a = await seed.learner();
      const kept = await seed.session(plio.id, a, { watchTime: 10 });
      await seed.answer(kept, item, 0);
      const deleted = await seed.session(plio.id, a, { watchTime: 90 });
      await seed.answer(deleted, item, 1);
      await seed.softDelete('session', deleted);
      const gone = await seed.session(plio.id, await seed.learner(), { watchTime: 70 });
      await seed.softDelete('session', gone);

      const { body } = await metrics(plio.uuid);
      assert.equal(body.unique_viewers, 1);
      assert.equal(body.average_watch_time, 10);
      assert.equal(body.accuracy, 100);
      assert.equal(body.percent_completed, 100);
    });

    it('leaves soft-deleted questions and answers out', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const kept = await seed.question(plio.id, { time: 5, correctAnswer: 0 });
      const removedQuestion = await seed.question(plio.id, { time: 10, correctAnswer: 0 });
      const removedItem = await seed.question(plio.id, { time: 15, correctAnswer: 0 });
      await seed.softDeleteQuestionOf(removedQuestion);
      await seed.softDelete('item', removedItem);
      const a = await seed.session(plio.id, await seed.learner());
      await seed.answer(a, kept, 0);
      await seed.answer(a, removedQuestion, 1);
      await seed.answer(a, removedItem, 1);
      const b = await seed.session(plio.id, await seed.learner());
      await seed.softDelete('session_answer', await seed.answer(b, kept, 0));
      await seed.answer(b, kept, null);

      const { body } = await metrics(plio.uuid);
      assert.equal(body.accuracy, 100); // only A's answer to the live question
      assert.equal(body.percent_completed, 50); // A answered the one live question; B's answer was deleted
      assert.equal(body.average_num_answered, 0); // round(mean(1, 0)) = round(0.5), half to even
    });

    it('answers when a question was added after sessions began', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const original = await seed.question(plio.id, { time: 5, correctAnswer: 0 });
      const early = await seed.session(plio.id, await seed.learner());
      await seed.answer(early, original, 0);
      const added = await seed.question(plio.id, { time: 25, correctAnswer: 1 });
      const late = await seed.session(plio.id, await seed.learner());
      await seed.answer(late, original, 1);
      await seed.answer(late, added, 1);

      const { status, body } = await metrics(plio.uuid);
      assert.equal(status, 200);
      assert.equal(body.average_num_answered, 2); // round(mean(1, 2)) = round(1.5), half to even
      assert.equal(body.percent_completed, 50); // only the late viewer answered both
      assert.equal(body.accuracy, 75); // mean(1/1, 1/2)
    });

    it('leaves survey questions out of the question metrics and says the plio has some', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const graded = await seed.question(plio.id, { time: 5, correctAnswer: 0 });
      const survey = await seed.question(plio.id, { time: 10, correctAnswer: 0, survey: true });
      const session = await seed.session(plio.id, await seed.learner());
      await seed.answer(session, graded, 0);
      await seed.answer(session, survey, 2);

      const { body } = await metrics(plio.uuid);
      assert.equal(body.has_survey_question, true);
      assert.equal(body.accuracy, 100);
      assert.equal(body.average_num_answered, 1);
      assert.equal(body.percent_completed, 100);
    });

    it('gives no question metrics for a plio with survey questions only', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const survey = await seed.question(plio.id, { time: 10, survey: true });
      await seed.answer(await seed.session(plio.id, await seed.learner()), survey, 0);
      const { body } = await metrics(plio.uuid);
      assert.deepEqual([body.accuracy, body.average_num_answered, body.percent_completed, body.has_survey_question], [null, null, null, true]);
    });

    it('gives no retention for a plio without a video', async () => {
      const plio = await seed.plio({ createdBy: creator.id, video: false });
      await seed.session(plio.id, await seed.learner(), { watchTime: 5 });
      assert.equal((await metrics(plio.uuid)).body.percent_one_minute_retention, null);
    });
  });

  describe('who may read them', () => {
    it('asks for a login', async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const response = await app.request({ method: 'GET', url: `/api/v1/plios/${plio.uuid}/metrics/` });
      assert.equal(response.statusCode, 401);
      assert.deepEqual(response.json(), { detail: 'Authentication credentials were not provided.' });
    });

    it('answers 404 for an unknown or deleted plio', async () => {
      assert.deepEqual(await metrics('nosuchplio'), { status: 404, body: { detail: 'Not found.' } });
      const plio = await seed.plio({ createdBy: creator.id });
      await seed.softDelete('plio', plio.id);
      assert.equal((await metrics(plio.uuid)).status, 404);
    });

    it("refuses someone else's plio in the personal workspace, except to a superuser", async () => {
      const plio = await seed.plio({ createdBy: creator.id });
      const other = await createUser(app);
      assert.deepEqual(await metrics(plio.uuid, other), {
        status: 403,
        body: { detail: 'You do not have permission to perform this action.' },
      });
      assert.equal((await metrics(plio.uuid, await createUser(app, { isSuperuser: true }))).status, 200);
    });

    it("shows an organization's public plios to its members only, and private plios to their creator", async () => {
      const org = await app.context.tenancy.organizations.create({ name: 'Metrics org', shortcode: 'metrics-org' });
      const orgSeed = analyticsFixtures(app, org.schemaName);
      const owner = await createUser(app);
      const member = await createUser(app);
      const outsider = await createUser(app);
      await addMembership(app, owner.id, org.id, 'org-admin');
      await addMembership(app, member.id, org.id, 'org-view');
      const open = await orgSeed.plio({ createdBy: owner.id });
      const closed = await orgSeed.plio({ createdBy: owner.id, isPublic: false });
      await orgSeed.session(open.id, await orgSeed.learner(), { watchTime: 12 });

      assert.equal((await metrics(open.uuid, member, 'metrics-org')).body.unique_viewers, 1);
      assert.equal((await metrics(open.uuid, outsider, 'metrics-org')).status, 403);
      assert.equal((await metrics(closed.uuid, member, 'metrics-org')).status, 403);
      assert.equal((await metrics(closed.uuid, owner, 'metrics-org')).status, 200);
      // the plio lives in the organization's schema, not in the personal workspace
      assert.equal((await metrics(open.uuid, owner)).status, 404);
    });
  });
});
