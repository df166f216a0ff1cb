import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { analyticsFixtures, type AnalyticsFixtures } from '../../support/analytics-fixtures.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { readCsv, unzip } from '../../support/zip-archive.ts';

const md5 = (userId: number) => createHash('md5').update(String(userId)).digest('hex');
const LEARNER_FILES = ['sessions.csv', 'user-level-metrics.csv', 'responses.csv', 'events.csv'];

/**
 * The report zip, ported from the reference's `test_report_contents.py`,
 * `test_report_csv_contents.py` and the download cases of `plio/tests.py`:
 * cell values worked out by hand from each seeded timeline, identifiers
 * checked against an MD5 computed here. Then the reference's failures.
 */
describe('GET /api/v1/plios/{uuid}/download_data/', () => {
  let app: TestApp;
  let owner: TestUser;
  let personal: AnalyticsFixtures;

  before(async () => {
    app = await startApp();
    owner = await createUser(app);
    personal = analyticsFixtures(app);
  });
  after(() => app.close());

  const download = async (uuid: string, user: TestUser = owner, organization?: string) => {
    const response = await app.request({ method: 'GET', url: `/api/v1/plios/${uuid}/download_data/`, headers: user.headers(organization) });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['content-type'], 'application/zip');
    assert.match(String(response.headers['content-disposition']), new RegExp(`^attachment; filename="plio-data-${uuid}.zip"$`));
    const files = await unzip(response.rawPayload);
    return { files, csv: (name: string) => readCsv(files.get(name)) };
  };

  describe('in the personal workspace', () => {
    let scenario: { uuid: string; checkboxLearner: number; skipLearner: number; decoyLearner: number };

    before(async () => {
      const plio = await personal.plio({
        createdBy: owner.id,
        name: 'Report CSV plio',
        video: { url: 'https://www.youtube.com/watch?v=reportcsv1', duration: 120 },
      });
      const checkbox = await personal.question(plio.id, {
        time: 5,
        type: 'checkbox',
        text: 'Pick all that apply',
        options: ['A', 'B', 'C'],
        correctAnswer: [0, 2],
      });
      const skipped = await personal.question(plio.id, { time: 15, type: 'mcq', text: 'Skipped question', options: ['X', 'Y'], correctAnswer: 0 });
      const checkboxLearner = await personal.learner();
      const checkboxSession = await personal.session(plio.id, checkboxLearner, { watchTime: 10 });
      await personal.answer(checkboxSession, checkbox, [0, 2]);
      await personal.event(checkboxSession, { type: 'played', playerTime: 1 });
      const skipLearner = await personal.learner();
      const skipSession = await personal.session(plio.id, skipLearner, { watchTime: 30 });
      await personal.answer(skipSession, skipped, null);
      await personal.event(skipSession, { type: 'played', playerTime: 3 });

      const decoy = await personal.plio({ createdBy: owner.id, name: 'Decoy plio' });
      const decoyItem = await personal.question(decoy.id, { time: 7, text: 'Decoy question' });
      const decoyLearner = await personal.learner();
      const decoySession = await personal.session(decoy.id, decoyLearner, { watchTime: 99 });
      await personal.answer(decoySession, decoyItem, 0);
      await personal.event(decoySession, { type: 'paused', playerTime: 99 });
      scenario = { uuid: plio.uuid, checkboxLearner, skipLearner, decoyLearner };
    });

    it('holds exactly the six CSV files and the guide', async () => {
      const { files } = await download(scenario.uuid);
      assert.deepEqual(
        [...files.keys()].sort(),
        [
          'READ-ME-FIRST.pdf',
          'events.csv',
          'plio-interaction-details.csv',
          'plio-meta-details.csv',
          'responses.csv',
          'sessions.csv',
          'user-level-metrics.csv',
        ],
      );
      assert.equal(files.get('READ-ME-FIRST.pdf')?.subarray(0, 5).toString(), '%PDF-');
    });

    it("has the reference's columns, in its order", async () => {
      const { csv } = await download(scenario.uuid);
      const learner = ['user_identifier', 'has_user_logged_in_via_sso'];
      assert.deepEqual(csv('sessions.csv').columns, ['session_id', 'watch_time', ...learner, 'created_at', 'last_updated_at']);
      assert.deepEqual(csv('user-level-metrics.csv').columns, [
        ...learner,
        'num_questions_attempted',
        'num_questions_answered_correctly',
        'are_all_questions_attempted',
      ]);
      assert.deepEqual(csv('responses.csv').columns, [
        'session_id',
        ...learner,
        'item_id',
        'question_type',
        'correct_answer',
        'is_answer_correct',
        'answered_at',
        'answer',
      ]);
      assert.deepEqual(csv('plio-interaction-details.csv').columns, [
        'item_id',
        'item_type',
        'item_time',
        'question_type',
        'question_text',
        'question_options',
        'question_correct_answer',
      ]);
      assert.deepEqual(csv('events.csv').columns, [
        'session_id',
        ...learner,
        'event_type',
        'event_player_time',
        'event_details',
        'event_global_time',
      ]);
      assert.deepEqual(csv('plio-meta-details.csv').columns, ['id', 'name', 'video']);
    });

    it('numbers checkbox options from 1 and grades a matching answer correct', async () => {
      const { csv } = await download(scenario.uuid);
      const [checkbox] = csv('responses.csv').rows.filter((row) => row.question_type === 'checkbox');
      assert.equal(checkbox?.answer, '[1, 3]');
      assert.equal(checkbox?.correct_answer, '[1, 3]');
      assert.equal(checkbox?.is_answer_correct, 'true');
      const [question] = csv('plio-interaction-details.csv').rows.filter((row) => row.question_type === 'checkbox');
      assert.equal(question?.question_correct_answer, '[1, 3]');
      assert.equal(question?.question_options, '["A", "B", "C"]');
      assert.equal(question?.item_time, '5.0');
    });

    it('writes a skipped answer as an empty cell, graded incorrect', async () => {
      const { csv } = await download(scenario.uuid);
      const skipped = csv('responses.csv').rows.filter((row) => row.question_type === 'mcq');
      assert.equal(skipped.length, 1);
      assert.equal(skipped[0]?.answer, '');
      assert.equal(skipped[0]?.is_answer_correct, 'false');
    });

    it('masks every learner as the MD5 of their id: the owner does not administer an organization', async () => {
      const { csv } = await download(scenario.uuid);
      const expected = new Set([md5(scenario.checkboxLearner), md5(scenario.skipLearner)]);
      for (const name of LEARNER_FILES) {
        assert.deepEqual(new Set(csv(name).rows.map((row) => row.user_identifier)), expected, name);
      }
    });

    it("leaves the other plio's rows out of every file", async () => {
      const { csv } = await download(scenario.uuid);
      for (const name of LEARNER_FILES) {
        assert.ok(!csv(name).rows.some((row) => row.user_identifier === md5(scenario.decoyLearner)), name);
      }
      const questions = csv('plio-interaction-details.csv').rows.map((row) => row.question_text);
      assert.deepEqual(questions, ['Pick all that apply', 'Skipped question']);
      assert.deepEqual(csv('plio-meta-details.csv').rows, [
        { id: scenario.uuid, name: 'Report CSV plio', video: 'https://www.youtube.com/watch?v=reportcsv1' },
      ]);
    });

    it('writes subjective answers verbatim, graded correct, and an empty correct answer', async () => {
      const plio = await personal.plio({ createdBy: owner.id, name: 'Subjective report plio' });
      const item = await personal.question(plio.id, { time: 10, type: 'subjective', text: 'Explain your reasoning' });
      const session = await personal.session(plio.id, await personal.learner(), { watchTime: 20 });
      await personal.answer(session, item, 'My essay answer, "quoted"');

      const { csv } = await download(plio.uuid);
      const [response] = csv('responses.csv').rows;
      assert.equal(response?.answer, 'My essay answer, "quoted"');
      assert.equal(response?.is_answer_correct, 'true');
      assert.equal(response?.correct_answer, '');
      const [question] = csv('plio-interaction-details.csv').rows;
      assert.equal(question?.question_correct_answer, '');
      assert.equal(question?.question_options, '');
    });

    it('refuses drafts with 404, and plios of other users with 403', async () => {
      const draft = await personal.plio({ createdBy: owner.id, status: 'draft' });
      const response = await app.request({ method: 'GET', url: `/api/v1/plios/${draft.uuid}/download_data/`, headers: owner.headers() });
      assert.equal(response.statusCode, 404);
      assert.deepEqual(response.json(), { detail: 'Data dumps are not available for draft plios' });
      const other = await createUser(app);
      const refused = await app.request({ method: 'GET', url: `/api/v1/plios/${scenario.uuid}/download_data/`, headers: other.headers() });
      assert.equal(refused.statusCode, 403);
      const anonymous = await app.request({ method: 'GET', url: `/api/v1/plios/${scenario.uuid}/download_data/` });
      assert.equal(anonymous.statusCode, 401);
    });

    it('reports a plio without a video or any question', async () => {
      const plio = await personal.plio({ createdBy: owner.id, name: 'Bare', video: false });
      await personal.session(plio.id, await personal.learner(), { watchTime: 3 });
      const { csv } = await download(plio.uuid);
      assert.deepEqual(csv('plio-meta-details.csv').rows, [{ id: plio.uuid, name: 'Bare', video: '' }]);
      assert.equal(csv('plio-interaction-details.csv').rows.length, 0);
      assert.deepEqual(
        csv('user-level-metrics.csv').rows.map((row) => [row.num_questions_attempted, row.are_all_questions_attempted]),
        [['0', 'false']],
      );
    });
  });

  describe("in an organization's workspace", () => {
    let org: { id: number; shortcode: string; schema: string };
    let seed: AnalyticsFixtures;
    let admin: TestUser;

    before(async () => {
      const created = await app.context.tenancy.organizations.create({ name: 'Report org', shortcode: 'report-org' });
      org = { id: created.id, shortcode: created.shortcode, schema: created.schemaName };
      seed = analyticsFixtures(app, created.schemaName);
      admin = await createUser(app);
      await addMembership(app, admin.id, org.id, 'org-admin');
    });

    it("matches the cells of the reference's constructed scenario, downloaded by an org admin", async () => {
      const learner = await seed.learner({ email: 'reporter-learner@example.com' });
      const plio = await seed.plio({
        createdBy: admin.id,
        name: 'CSV report plio',
        video: { url: 'https://www.youtube.com/watch?v=csvreport1', duration: 120 },
      });
      const item = await seed.question(plio.id, { time: 5, type: 'mcq', text: 'Capital of France?', options: ['Paris', 'Rome', 'Berlin'], correctAnswer: 0 });
      const session = await seed.session(plio.id, learner, { watchTime: 42.5 });
      await seed.answer(session, item, 1);
      await seed.event(session, { type: 'played', playerTime: 7, details: { itemIndex: 0 } });
      const decoy = await seed.plio({ createdBy: admin.id, name: 'Decoy plio' });
      const decoyItem = await seed.question(decoy.id, { time: 3 });
      const decoySession = await seed.session(decoy.id, await seed.learner(), { watchTime: 77.7 });
      await seed.answer(decoySession, decoyItem, 0);
      await seed.event(decoySession, { type: 'paused', playerTime: 99 });

      const { csv } = await download(plio.uuid, admin, org.shortcode);
      assert.deepEqual(csv('plio-meta-details.csv').rows, [
        { id: plio.uuid, name: 'CSV report plio', video: 'https://www.youtube.com/watch?v=csvreport1' },
      ]);
      const sessions = csv('sessions.csv').rows;
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]?.session_id, String(session));
      assert.equal(sessions[0]?.watch_time, '42.5');
      assert.equal(sessions[0]?.user_identifier, 'reporter-learner@example.com');
      assert.equal(sessions[0]?.has_user_logged_in_via_sso, 'false');
      assert.match(sessions[0]?.created_at ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      assert.deepEqual(csv('user-level-metrics.csv').rows, [
        {
          user_identifier: 'reporter-learner@example.com',
          has_user_logged_in_via_sso: 'false',
          num_questions_attempted: '1',
          num_questions_answered_correctly: '0',
          are_all_questions_attempted: 'true',
        },
      ]);
      const responses = csv('responses.csv').rows;
      assert.equal(responses.length, 1);
      assert.equal(responses[0]?.answer, '2');
      assert.equal(responses[0]?.correct_answer, '1');
      assert.equal(responses[0]?.is_answer_correct, 'false');
      assert.equal(responses[0]?.item_id, String(item));
      const interactions = csv('plio-interaction-details.csv').rows;
      assert.equal(interactions.length, 1);
      assert.equal(interactions[0]?.question_text, 'Capital of France?');
      assert.equal(interactions[0]?.question_correct_answer, '1');
      const events = csv('events.csv').rows;
      assert.equal(events.length, 1);
      assert.equal(events[0]?.event_type, 'played');
      assert.equal(events[0]?.event_player_time, '7.0');
      assert.equal(events[0]?.event_details, '{"itemIndex": 0}');
    });

    it('names learners by email, then mobile, then SSO id, and flags SSO logins', async () => {
      const plio = await seed.plio({ createdBy: admin.id });
      const byEmail = await seed.learner({ email: 'email-learner@example.com', mobile: '+910000000001' });
      const byMobile = await seed.learner({ email: null, mobile: '+910000000002', uniqueId: 'sso-mobile', authOrgId: org.id });
      const byUniqueId = await seed.learner({ email: null, uniqueId: 'sso-unique' });
      const orgOnly = await seed.learner({ email: 'authorg@example.com', authOrgId: org.id });
      for (const learner of [byEmail, byMobile, byUniqueId, orgOnly]) {
        await seed.event(await seed.session(plio.id, learner), { type: 'played', playerTime: 1 });
      }

      const { csv } = await download(plio.uuid, admin, org.shortcode);
      for (const name of ['sessions.csv', 'events.csv', 'user-level-metrics.csv']) {
        const identities = csv(name).rows.map((row) => [row.user_identifier, row.has_user_logged_in_via_sso]);
        assert.deepEqual(
          identities.sort(),
          [
            ['+910000000002', 'true'],
            ['authorg@example.com', 'false'],
            ['email-learner@example.com', 'false'],
            ['sso-unique', 'false'],
          ],
          name,
        );
      }
    });

    it('rolls up each learner from their latest session, ordered by identifier', async () => {
      const plio = await seed.plio({ createdBy: admin.id });
      const q1 = await seed.question(plio.id, { time: 10, correctAnswer: 0 });
      const q2 = await seed.question(plio.id, { time: 20, correctAnswer: 1 });
      const q3 = await seed.question(plio.id, { time: 30, correctAnswer: 2 });
      const alice = await seed.learner({ email: 'alice@example.com' });
      const bob = await seed.learner({ email: 'bob@example.com', authOrgId: org.id });
      const carol = await seed.learner({ email: 'carol@example.com', uniqueId: 'sso-carol', authOrgId: org.id });
      const dave = await seed.learner({ email: null, mobile: '+919000000000' });

      const carolOld = await seed.session(plio.id, carol);
      await seed.answer(carolOld, q1, 0);
      const carolNew = await seed.session(plio.id, carol);
      await seed.answer(carolNew, q2, 1);
      await seed.answer(carolNew, q3, 2);
      const bobs = await seed.session(plio.id, bob);
      await seed.answer(bobs, q1, 0);
      await seed.answer(bobs, q2, 0);
      await seed.answer(bobs, q3, null);
      await seed.answer(await seed.session(plio.id, dave), q1, 0);
      const alices = await seed.session(plio.id, alice);
      for (const [item, answer] of [[q1, 0], [q2, 1], [q3, 2]] as const) await seed.answer(alices, item, answer);

      const { csv } = await download(plio.uuid, admin, org.shortcode);
      assert.deepEqual(
        csv('user-level-metrics.csv').rows.map((row) => Object.values(row)),
        [
          ['+919000000000', 'false', '1', '1', 'false'],
          ['alice@example.com', 'false', '3', '3', 'true'],
          ['bob@example.com', 'false', '2', '1', 'false'],
          ['carol@example.com', 'true', '2', '2', 'false'],
        ],
      );
    });

    it('shows identities to super-admins and org-admins only; members see hashes, outsiders nothing', async () => {
      const learner = await seed.learner({ email: 'visible@example.com' });
      const creator = await createUser(app);
      await addMembership(app, creator.id, org.id, 'org-view');
      const plio = await seed.plio({ createdBy: creator.id });
      await seed.session(plio.id, learner, { watchTime: 5 });
      const superAdmin = await createUser(app);
      await addMembership(app, superAdmin.id, org.id, 'super-admin');
      const member = await createUser(app);
      await addMembership(app, member.id, org.id, 'org-view');
      const superuser = await createUser(app, { isSuperuser: true });
      const outsider = await createUser(app);

      const identifierFor = async (user: TestUser) => (await download(plio.uuid, user, org.shortcode)).csv('sessions.csv').rows[0]?.user_identifier;
      assert.equal(await identifierFor(admin), 'visible@example.com');
      assert.equal(await identifierFor(superAdmin), 'visible@example.com');
      assert.equal(await identifierFor(member), md5(learner));
      assert.equal(await identifierFor(creator), md5(learner));
      assert.equal(await identifierFor(superuser), md5(learner));
      const refused = await app.request({
        method: 'GET',
        url: `/api/v1/plios/${plio.uuid}/download_data/`,
        headers: outsider.headers(org.shortcode),
      });
      assert.equal(refused.statusCode, 403);
    });

    it('leaves soft-deleted sessions, answers, events and questions out', async () => {
      const plio = await seed.plio({ createdBy: admin.id });
      const kept = await seed.question(plio.id, { time: 5, text: 'Kept' });
      const removed = await seed.question(plio.id, { time: 9, text: 'Removed' });
      await seed.softDeleteQuestionOf(removed);
      const learner = await seed.learner({ email: 'soft@example.com' });
      const live = await seed.session(plio.id, learner, { watchTime: 4 });
      await seed.answer(live, kept, 0);
      await seed.answer(live, removed, 0);
      await seed.softDelete('session_answer', await seed.answer(live, kept, 1));
      await seed.event(live, { type: 'played', playerTime: 1 });
      const deleted = await seed.session(plio.id, learner, { watchTime: 80 });
      await seed.answer(deleted, kept, 2);
      await seed.event(deleted, { type: 'paused', playerTime: 2 });
      await seed.softDelete('session', deleted);

      const { csv } = await download(plio.uuid, admin, org.shortcode);
      assert.deepEqual(csv('sessions.csv').rows.map((row) => row.session_id), [String(live)]);
      assert.deepEqual(csv('responses.csv').rows.map((row) => [row.session_id, row.item_id, row.answer]), [[String(live), String(kept), '1']]);
      assert.deepEqual(csv('events.csv').rows.map((row) => row.event_type), ['played']);
      assert.deepEqual(csv('plio-interaction-details.csv').rows.map((row) => row.question_text), ['Kept']);
      assert.deepEqual(csv('user-level-metrics.csv').rows.map((row) => [row.num_questions_attempted, row.are_all_questions_attempted]), [['1', 'true']]);
    });

    it('reads every row of a plio with more sessions than a page', async () => {
      const plio = await seed.plio({ createdBy: admin.id });
      const item = await seed.question(plio.id, { time: 1 });
      const learners = await app.context.db
        .insertInto('public.user')
        .values(Array.from({ length: 2100 }, (_, i) => ({ email: `bulk-${String(i).padStart(4, '0')}@example.org` })))
        .returning('id')
        .execute();
      const sessions = await app.context.db
        .withSchema(org.schema)
        .insertInto('session')
        .values(learners.map(({ id }) => ({ plio_id: plio.id, user_id: id, watch_time: 1 })))
        .returning('id')
        .execute();
      await app.context.db
        .withSchema(org.schema)
        .insertInto('session_answer')
        .values(sessions.map(({ id }) => ({ session_id: id, item_id: item, answer: '0' })))
        .execute();

      const { csv } = await download(plio.uuid, admin, org.shortcode);
      assert.deepEqual(new Set(csv('sessions.csv').rows.map((row) => Number(row.session_id))), new Set(sessions.map(({ id }) => id)));
      assert.equal(csv('responses.csv').rows.length, 2100);
      const identifiers = csv('user-level-metrics.csv').rows.map((row) => row.user_identifier);
      assert.equal(identifiers.length, 2100);
      assert.deepEqual(identifiers, [...identifiers].sort());
      assert.equal(identifiers[0], 'bulk-0000@example.org');
    });
  });
});
