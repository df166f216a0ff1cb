/**
 * The learner's journey (tests/integration/learner/*, entries/tests.py):
 * sessions with carry-over, answers, events and the last event, on
 * published plios only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser } from '../../support/users.ts';
import { buildPlio, client, type Client } from '../content/fixtures.ts';

const ANSWERS = { mcq: 0, checkbox: [0, 1], subjective: 'Because the mitochondria is the powerhouse of the cell' } as const;

describe('learner sessions, answers and events', () => {
  let app: TestApp;
  let creator: Client;
  let learner: Client;
  before(async () => {
    app = await startApp();
    creator = client(app, await createUser(app));
    learner = client(app, await createUser(app));
  });
  after(() => app.close());

  const session = async (who: Client, plio: number) => {
    const response = await who.post('/api/v1/sessions/', { plio });
    assert.equal(response.statusCode, 201, response.body);
    return response.json();
  };

  it('makes a first session with zero watch time and a zeroed retention that is saved', async () => {
    const plio = await buildPlio(creator, { duration: 3 });
    const first = await session(learner, plio.id);
    assert.equal(first.is_first, true);
    assert.equal(first.watch_time, 0);
    assert.equal(first.retention, '0,0,0');
    assert.equal(first.plio.uuid, plio.uuid);
    assert.equal(typeof first.user, 'object');
    const fresh = await learner.get(`/api/v1/sessions/${first.id}/`);
    assert.equal(fresh.statusCode, 200);
    assert.equal(fresh.json().retention, '0,0,0');
  });

  it('carries retention, watch time and the played flag into the next session', async () => {
    const plio = await buildPlio(creator, { duration: 3 });
    const first = await session(learner, plio.id);
    const updated = await learner.put(`/api/v1/sessions/${first.id}/`, { plio: plio.id, watch_time: 5.0, retention: '1,1,0', has_video_played: true });
    assert.equal(updated.statusCode, 200);
    const second = await session(learner, plio.id);
    assert.notEqual(second.id, first.id);
    assert.equal(second.is_first, false);
    assert.equal(second.watch_time, 5);
    assert.equal(second.retention, '1,1,0');
    assert.equal(second.has_video_played, true);
  });

  it('never carries another learner’s or another plio’s state', async () => {
    const plioA = await buildPlio(creator, { duration: 3 });
    const plioB = await buildPlio(creator, { duration: 5 });
    const onA = await session(learner, plioA.id);
    await learner.patch(`/api/v1/sessions/${onA.id}/`, { watch_time: 9, retention: '1,1,1' });
    const other = client(app, await createUser(app));
    const theirs = await session(other, plioA.id);
    assert.equal(theirs.is_first, true);
    assert.equal(theirs.watch_time, 0);
    assert.equal(theirs.retention, '0,0,0');
    const onB = await session(learner, plioB.id);
    assert.equal(onB.is_first, true);
    assert.equal(onB.retention, '0,0,0,0,0');
  });

  it('counts the learner’s own sessions at /sessions/unique_users/, as the reference does', async () => {
    const plio = await buildPlio(creator, { duration: 3 });
    const other = await buildPlio(creator, { duration: 3 });
    const counter = client(app, await createUser(app));
    await session(counter, plio.id);
    await session(counter, plio.id);
    await session(counter, other.id);
    await session(learner, plio.id);
    const count = async (query: string) => {
      const response = await counter.get(`/api/v1/sessions/unique_users/${query}`);
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    assert.equal(await count(`?plio=${plio.uuid}`), 2);
    assert.equal(await count(''), 3);
    assert.equal(await count('?plio=nosuchplio'), 0);
    assert.equal((await client(app, undefined).get('/api/v1/sessions/unique_users/')).statusCode, 401);
  });

  it('refuses sessions for draft plios and for plios that do not exist', async () => {
    const draft = await buildPlio(creator, { published: false });
    const refused = await learner.post('/api/v1/sessions/', { plio: draft.id });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json(), { non_field_errors: ['A session can only be created for a published plio'] });
    assert.equal((await learner.post('/api/v1/sessions/', { plio: 99999999 })).statusCode, 400);
    assert.equal((await learner.post('/api/v1/sessions/', {})).statusCode, 400);
    assert.equal((await client(app, undefined).post('/api/v1/sessions/', { plio: draft.id })).statusCode, 401);
  });

  it('makes one empty answer per item, persists answers of every type and carries them forward', async () => {
    const plio = await buildPlio(creator, {
      questions: [
        { time: 10, type: 'mcq' },
        { time: 20, type: 'checkbox', correct_answer: [0, 1] },
        { time: 30, type: 'subjective' },
      ],
    });
    const expected = new Map<number, unknown>([
      [plio.items[0]!.id, ANSWERS.mcq],
      [plio.items[1]!.id, ANSWERS.checkbox],
      [plio.items[2]!.id, ANSWERS.subjective],
    ]);
    const first = await session(learner, plio.id);
    assert.equal(first.session_answers.length, 3);
    assert.ok(first.session_answers.every((entry: { answer: unknown }) => entry.answer === null));
    for (const entry of first.session_answers as { id: number; item_id: number }[]) {
      const response = await learner.patch(`/api/v1/session-answers/${entry.id}/`, { answer: expected.get(entry.item_id) });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().answer, expected.get(entry.item_id));
    }
    const reread = (await learner.get(`/api/v1/sessions/${first.id}/`)).json();
    assert.deepEqual(new Map(reread.session_answers.map((entry: { item_id: number; answer: unknown }) => [entry.item_id, entry.answer])), expected);
    const second = await session(learner, plio.id);
    assert.equal(second.is_first, false);
    assert.deepEqual(new Map(second.session_answers.map((entry: { item_id: number; answer: unknown }) => [entry.item_id, entry.answer])), expected);
  });

  it('orders a fresh session’s answers by item time and carries PUT answers two sessions on (entries/tests.py)', async () => {
    const plio = await buildPlio(creator, { duration: 10, questions: [{ time: 2 }, { time: 1 }] });
    const first = await session(learner, plio.id);
    assert.deepEqual(
      first.session_answers.map((entry: { item_id: number }) => entry.item_id),
      [plio.items[1]!.id, plio.items[0]!.id],
    );
    assert.equal(first.retention, '0,0,0,0,0,0,0,0,0,0');
    const updated = await learner.put(`/api/v1/sessions/${first.id}/`, { plio: plio.id, watch_time: 5.0, retention: '1,1,1,1,1,0,0,0,0,0' });
    assert.equal(updated.json().is_first, true);
    const second = await session(learner, plio.id);
    assert.equal(second.retention, '1,1,1,1,1,0,0,0,0,0');
    const answer = second.session_answers[0];
    const put = await learner.put(`/api/v1/session-answers/${answer.id}/`, { id: answer.id, item: answer.item_id, session: second.id, answer: 0 });
    assert.equal(put.statusCode, 200);
    const third = await session(learner, plio.id);
    assert.equal(third.session_answers[0].item_id, answer.item_id);
    assert.equal(third.session_answers[0].answer, 0);
  });

  it('gives an item added after the first session an empty answer in the next one', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 1 }] });
    await session(learner, plio.id);
    await creator.post('/api/v1/items/', { plio: plio.id, time: 2 });
    const second = await session(learner, plio.id);
    assert.equal(second.session_answers.length, 2);
  });

  it('answers the last event, walking back through earlier sessions', async () => {
    const plio = await buildPlio(creator);
    const first = await session(learner, plio.id);
    assert.deepEqual(first.last_event, { type: null, player_time: null, details: null, session: null });
    const played = await learner.post('/api/v1/events/', { session: first.id, type: 'played', player_time: 1.5, details: { speed: 1 } });
    assert.equal(played.statusCode, 201);
    const paused = await learner.post('/api/v1/events/', { session: first.id, type: 'paused', player_time: 2.5 });
    assert.equal(paused.statusCode, 201);
    const second = await session(learner, plio.id);
    assert.equal(second.last_event.type, 'paused');
    assert.equal(second.last_event.player_time, 2.5);
    assert.equal(second.last_event.session, first.id);
    await learner.post('/api/v1/events/', { session: second.id, type: 'watching', player_time: 3 });
    assert.equal((await learner.get(`/api/v1/sessions/${second.id}/`)).json().last_event.type, 'watching');
    assert.equal((await learner.get(`/api/v1/sessions/${first.id}/`)).json().last_event.type, 'paused');
    const bad = await learner.post('/api/v1/events/', { session: first.id, type: 'exploded', player_time: 1 });
    assert.equal(bad.statusCode, 400);
  });

  it('keeps sessions, answers and events to their learner', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 1 }] });
    const mine = await session(learner, plio.id);
    const other = client(app, await createUser(app));
    assert.equal((await other.get(`/api/v1/sessions/${mine.id}/`)).statusCode, 404);
    assert.equal((await other.patch(`/api/v1/sessions/${mine.id}/`, { watch_time: 1 })).statusCode, 404);
    assert.equal((await other.patch(`/api/v1/session-answers/${mine.session_answers[0].id}/`, { answer: 2 })).statusCode, 404);
    assert.equal((await other.post('/api/v1/events/', { session: mine.id, type: 'played', player_time: 0 })).statusCode, 400);
    assert.equal((await other.get(`/api/v1/sessions/?plio=${plio.uuid}`)).json().length, 0);
    const listed = (await learner.get(`/api/v1/sessions/?plio=${plio.uuid}`)).json();
    assert.deepEqual(
      listed.map((entry: { id: number }) => entry.id),
      [mine.id],
    );
  });

  it('deletes a session with its answers and events, and the next one is first again', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 1 }] });
    const first = await session(learner, plio.id);
    const event = (await learner.post('/api/v1/events/', { session: first.id, type: 'played', player_time: 0 })).json();
    assert.equal((await learner.delete(`/api/v1/sessions/${first.id}/`)).statusCode, 204);
    assert.equal((await learner.get(`/api/v1/sessions/${first.id}/`)).statusCode, 404);
    assert.equal((await learner.get(`/api/v1/events/${event.id}/`)).statusCode, 404);
    assert.equal((await learner.get(`/api/v1/session-answers/${first.session_answers[0].id}/`)).statusCode, 404);
    assert.equal((await session(learner, plio.id)).is_first, true);
  });

  it('hides sessions of a deleted plio and refuses new ones', async () => {
    const plio = await buildPlio(creator);
    const mine = await session(learner, plio.id);
    await creator.delete(`/api/v1/plios/${plio.uuid}/`);
    assert.equal((await learner.get(`/api/v1/sessions/${mine.id}/`)).statusCode, 404);
    assert.equal((await learner.post('/api/v1/sessions/', { plio: plio.id })).statusCode, 400);
  });

  it('records 100 learners answering one plio in an organization at once, losing nothing', async () => {
    const org = await app.context.tenancy.organizations.create({ name: 'Crowd', shortcode: 'crowd' });
    const owner = await createUser(app);
    await addMembership(app, owner.id, org.id, 'org-admin');
    const plio = await buildPlio(client(app, owner, 'crowd'), { questions: [{ time: 1 }, { time: 2 }] });
    const learners = await Promise.all(Array.from({ length: 100 }, () => createUser(app)));
    await Promise.all(
      learners.map(async (user, index) => {
        const who = client(app, user, 'crowd');
        const created = await who.post('/api/v1/sessions/', { plio: plio.id });
        assert.equal(created.statusCode, 201, created.body);
        for (const entry of created.json().session_answers as { id: number }[]) {
          const answered = await who.patch(`/api/v1/session-answers/${entry.id}/`, { answer: index % 3 });
          assert.equal(answered.statusCode, 200, answered.body);
        }
        const event = await who.post('/api/v1/events/', { session: created.json().id, type: 'question_answered', player_time: 2 });
        assert.equal(event.statusCode, 201);
      }),
    );
    const db = app.context.db.withSchema(org.schemaName);
    const sessions = await db.selectFrom('session').select('id').where('plio_id', '=', plio.id).execute();
    assert.equal(sessions.length, 100);
    const answers = await db.selectFrom('session_answer').select(['answer']).where('answer', 'is not', null).execute();
    assert.equal(answers.length, 200);
    const events = await db.selectFrom('event').select('id').execute();
    assert.equal(events.length, 100);
    const listed = await client(app, owner, 'crowd').get('/api/v1/plios/');
    assert.equal(listed.json().results[0].unique_viewers, 100);
  });
});
