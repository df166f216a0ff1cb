/**
 * Workspaces never cross (tests/integration/org/test_isolation.py,
 * test_tenant_isolation.py): the same plio id and uuid in two workspaces,
 * with the cache in between, and copy/duplicate across them
 * (tests/integration/creator/test_copy_to_workspace.py, test_duplicate.py).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { buildPlio, temporaryMediaRoot, client } from './fixtures.ts';

describe('workspace isolation, copy and duplicate', () => {
  let app: TestApp;
  let creator: TestUser;
  let orgA: { id: number; schemaName: string };
  let orgB: { id: number; schemaName: string };
  let media: Awaited<ReturnType<typeof temporaryMediaRoot>>;
  before(async () => {
    media = await temporaryMediaRoot();
    app = await startApp({ MEDIA_ROOT: media.path });
    orgA = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    orgB = await app.context.tenancy.organizations.create({ name: 'Org B', shortcode: 'org-b' });
    creator = await createUser(app);
    await addMembership(app, creator.id, orgA.id, 'org-admin');
    await addMembership(app, creator.id, orgB.id, 'org-admin');
  });
  after(async () => {
    await app.close();
    await media.remove();
  });

  it('keeps every entity of one organization invisible to another and to the personal workspace', async () => {
    const inA = client(app, creator, 'org-a');
    const plio = await buildPlio(inA, { questions: [{ time: 1 }] });
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const boundary = 'isolation';
    const image = await app.request({
      method: 'POST',
      url: '/api/v1/images/',
      headers: { ...creator.headers('org-a'), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
        png,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    assert.equal(image.statusCode, 201, image.body);
    const session = (await inA.post('/api/v1/sessions/', { plio: plio.id })).json();
    const event = (await inA.post('/api/v1/events/', { session: session.id, type: 'played', player_time: 0 })).json();
    const paths = {
      plio: `/api/v1/plios/${plio.uuid}/`,
      video: `/api/v1/videos/${plio.videoId}/`,
      item: `/api/v1/items/${plio.items[0]!.id}/`,
      question: `/api/v1/questions/${plio.items[0]!.questionId}/`,
      image: `/api/v1/images/${image.json().id}/`,
      session: `/api/v1/sessions/${session.id}/`,
      'session-answer': `/api/v1/session-answers/${session.session_answers[0].id}/`,
      event: `/api/v1/events/${event.id}/`,
    };
    // this runs first: the personal workspace and org-b hold nothing yet
    for (const [entity, path] of Object.entries(paths)) {
      assert.equal((await inA.get(path)).statusCode, 200, `${entity} in org-a`);
      assert.equal((await client(app, creator, 'org-b').get(path)).statusCode, 404, `${entity} from org-b`);
      assert.equal((await client(app, creator).get(path)).statusCode, 404, `${entity} from the personal workspace`);
    }
  });

  it('rolls back writes to two workspaces made in one transaction', async () => {
    const rollback = new Error('roll back');
    await assert.rejects(
      app.context.db.transaction().execute(async (trx) => {
        for (const schema of [orgA.schemaName, orgB.schemaName]) {
          await trx.withSchema(schema).insertInto('plio').values({ uuid: 'rolledback', created_by_id: creator.id }).execute();
          const rows = await trx.withSchema(schema).selectFrom('plio').select('id').where('uuid', '=', 'rolledback').execute();
          assert.equal(rows.length, 1);
        }
        throw rollback;
      }),
      rollback,
    );
    for (const organization of ['org-a', 'org-b']) {
      assert.equal((await client(app, creator, organization).get('/api/v1/plios/rolledback/')).statusCode, 404);
    }
  });

  it('serves the same plio id and uuid from each workspace, cache included', async () => {
    const db = app.context.db;
    for (const [schema, name] of [
      [orgA.schemaName, 'in A'],
      [orgB.schemaName, 'in B'],
    ] as const) {
      await db.withSchema(schema).insertInto('plio').values({ id: 4242, uuid: 'sameuuidxx', name, created_by_id: creator.id }).execute();
    }
    const inA = client(app, creator, 'org-a');
    const inB = client(app, creator, 'org-b');
    for (let round = 0; round < 2; round++) {
      assert.equal((await inA.get('/api/v1/plios/sameuuidxx/')).json().name, 'in A');
      assert.equal((await inB.get('/api/v1/plios/sameuuidxx/')).json().name, 'in B');
      assert.equal((await inA.get('/api/v1/plios/sameuuidxx/play/')).json().name, 'in A');
    }
    await inA.patch('/api/v1/plios/sameuuidxx/', { name: 'A renamed' });
    assert.equal((await inA.get('/api/v1/plios/sameuuidxx/')).json().name, 'A renamed');
    assert.equal((await inB.get('/api/v1/plios/sameuuidxx/')).json().name, 'in B');
    // an item added in B shows in B's cached plio only
    await inB.post('/api/v1/items/', { plio: 4242, time: 3 });
    assert.equal((await inB.get('/api/v1/plios/sameuuidxx/')).json().items.length, 1);
    assert.equal((await inA.get('/api/v1/plios/sameuuidxx/')).json().items.length, 0);
    assert.equal((await client(app, creator).get('/api/v1/plios/sameuuidxx/')).statusCode, 404);
  });

  it('answers a randomized burst of concurrent requests each from its own workspace', async () => {
    const expected: Record<string, string> = { 'org-a': 'A renamed', 'org-b': 'in B' };
    const requests = Array.from({ length: 200 }, (_, index) => {
      const organization = Math.random() < 0.5 ? 'org-a' : 'org-b';
      const url = index % 3 === 0 ? '/api/v1/plios/sameuuidxx/play/' : '/api/v1/plios/sameuuidxx/';
      return client(app, creator, organization)
        .get(url)
        .then((response) => ({ organization, name: response.json().name as string }));
    });
    for (const { organization, name } of await Promise.all(requests)) assert.equal(name, expected[organization]);
  });

  it('keeps lists, items and sessions inside their workspace', async () => {
    const inA = client(app, creator, 'org-a');
    const plio = await buildPlio(inA, { questions: [{ time: 1 }] });
    const personal = client(app, creator);
    assert.ok(!(await personal.get('/api/v1/plios/')).json().results.some((row: { uuid: string }) => row.uuid === plio.uuid));
    assert.ok(!(await client(app, creator, 'org-b').get('/api/v1/plios/')).json().results.some((row: { uuid: string }) => row.uuid === plio.uuid));
    assert.equal((await client(app, creator, 'org-b').get(`/api/v1/items/?plio=${plio.uuid}`)).json().length, 0);
    const learner = await createUser(app);
    const session = await client(app, learner, 'org-a').post('/api/v1/sessions/', { plio: plio.id });
    assert.equal(session.statusCode, 201);
    assert.equal((await client(app, learner, 'org-b').get(`/api/v1/sessions/${session.json().id}/`)).statusCode, 404);
    assert.equal((await client(app, learner).get(`/api/v1/sessions/?plio=${plio.uuid}`)).json().length, 0);
  });

  it('answers an unknown Organization header with 404', async () => {
    const response = await client(app, creator, 'no-such-org').get('/api/v1/plios/');
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { detail: 'Organization not found.' });
  });

  it('duplicates the whole graph as an independent draft', async () => {
    const personal = client(app, creator);
    const original = await buildPlio(personal, { questions: [{ time: 10, text: 'Q-one' }, { time: 20, type: 'subjective', text: 'Q-two' }] });
    const response = await personal.post(`/api/v1/plios/${original.uuid}/duplicate/`);
    assert.equal(response.statusCode, 200);
    const copy = response.json();
    assert.notEqual(copy.uuid, original.uuid);
    assert.equal(copy.status, 'draft');
    assert.notEqual(copy.video.id, original.videoId);
    assert.deepEqual(
      copy.items.map((item: { time: number; details: { type: string; text: string; correct_answer: unknown } }) => [
        item.time,
        item.details.type,
        item.details.text,
        item.details.correct_answer,
      ]),
      [
        [10, 'mcq', 'Q-one', 0],
        [20, 'subjective', 'Q-two', null],
      ],
    );
    const copyQuestion = copy.items[0].details.id;
    assert.notEqual(copyQuestion, original.items[0]?.questionId);
    const edited = await personal.patch(`/api/v1/questions/${copyQuestion}/`, { item: copy.items[0].id, type: 'mcq', text: 'Edited copy', options: ['A', 'B'], correct_answer: 1 });
    assert.equal(edited.statusCode, 200);
    assert.equal((await personal.get(`/api/v1/questions/${copyQuestion}/`)).json().text, 'Edited copy');
    const originalQuestion = (await personal.get(`/api/v1/questions/${original.items[0]?.questionId}/`)).json();
    assert.equal(originalQuestion.text, 'Q-one');
    assert.equal(originalQuestion.correct_answer, 0);
  });

  it('duplicates a plio with no video', async () => {
    const personal = client(app, creator);
    const original = await buildPlio(personal, { duration: null });
    const copy = await personal.post(`/api/v1/plios/${original.uuid}/duplicate/`);
    assert.equal(copy.statusCode, 200);
    assert.deepEqual(copy.json().video, { url: '', title: '', duration: null });
  });

  it('copies a plio into another workspace and leaves the source alone', async () => {
    const owner = await createUser(app);
    const orgC = await app.context.tenancy.organizations.create({ name: 'Org C', shortcode: 'org-c' });
    await addMembership(app, owner.id, orgC.id, 'org-view');
    const personal = client(app, owner);
    const original = await buildPlio(personal, { name: 'Source plio', duration: 42, questions: [{ time: 15, text: 'Only question' }] });
    const response = await personal.post(`/api/v1/plios/${original.uuid}/copy/`, { workspace: 'org-c' });
    assert.equal(response.statusCode, 200);
    const copyUuid = response.json().uuid;
    const inTarget = await client(app, owner, 'org-c').get(`/api/v1/plios/${copyUuid}/`);
    assert.equal(inTarget.statusCode, 200);
    assert.equal(inTarget.json().name, 'Source plio');
    assert.equal(inTarget.json().status, 'draft');
    assert.equal(inTarget.json().items.length, 1);
    assert.equal(inTarget.json().items[0].details.text, 'Only question');
    assert.equal(inTarget.json().video.duration, 42);
    assert.equal((await client(app, owner, 'org-c').get('/api/v1/plios/')).json().count, 1);
    if (copyUuid !== original.uuid) assert.equal((await personal.get(`/api/v1/plios/${copyUuid}/`)).statusCode, 404);
    const source = (await personal.get(`/api/v1/plios/${original.uuid}/`)).json();
    assert.equal(source.uuid, original.uuid);
    assert.equal(source.items.length, 1);
    assert.equal((await personal.get('/api/v1/plios/')).json().count, 1);
  });

  it('refuses to copy into a workspace the user is not a member of', async () => {
    const outsider = await createUser(app);
    const personal = client(app, outsider);
    const original = await buildPlio(personal);
    const refused = await personal.post(`/api/v1/plios/${original.uuid}/copy/`, { workspace: 'org-a' });
    assert.equal(refused.statusCode, 403);
    const database = app.context.db.withSchema(orgA.schemaName);
    const leaked = await database.selectFrom('plio').select('id').where('created_by_id', '=', outsider.id).execute();
    assert.equal(leaked.length, 0);
    assert.equal((await personal.post(`/api/v1/plios/${original.uuid}/copy/`, {})).statusCode, 400);
    const unknown = await personal.post(`/api/v1/plios/${original.uuid}/copy/`, { workspace: 'nowhere' });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), { detail: 'workspace does not exist' });
    const superuser = client(app, await createUser(app, { isSuperuser: true }));
    const own = await buildPlio(superuser);
    assert.equal((await superuser.post(`/api/v1/plios/${own.uuid}/copy/`, { workspace: 'org-a' })).statusCode, 200);
  });

  it('copies from an organization into the personal workspace', async () => {
    const inA = client(app, creator, 'org-a');
    const original = await buildPlio(inA, { name: 'From A' });
    const response = await inA.post(`/api/v1/plios/${original.uuid}/copy/`, { workspace: app.context.config.defaultTenant.shortcode });
    assert.equal(response.statusCode, 200);
    assert.equal((await client(app, creator).get(`/api/v1/plios/${response.json().uuid}/`)).json().name, 'From A');
  });
});
