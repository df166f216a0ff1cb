/**
 * Items, questions, images, videos, tags and experiments
 * (tests/integration/creator/test_item_crud.py, test_question_crud.py,
 * test_soft_delete.py, test_image_upload.py; the item, question, experiment
 * and tag cases of plio/tests.py, experiments/tests.py, tags/tests.py).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { buildPlio, client, temporaryMediaRoot, type Client } from './fixtures.ts';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);

function multipart(fields: Record<string, string>, file?: { name: string; data: Buffer; type?: string }) {
  const boundary = `plio${Date.now()}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'image/jpeg'}\r\n\r\n`));
    parts.push(file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('items, questions, images, videos, tags and experiments', () => {
  let app: TestApp;
  let media: Awaited<ReturnType<typeof temporaryMediaRoot>>;
  let owner: TestUser;
  let creator: Client;
  let orgSchema: string;
  before(async () => {
    media = await temporaryMediaRoot();
    app = await startApp({ MEDIA_ROOT: media.path });
    owner = await createUser(app);
    creator = client(app, owner);
    const org = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    orgSchema = org.schemaName;
    await addMembership(app, owner.id, org.id, 'org-admin');
  });
  after(async () => {
    await app.close();
    await media.remove();
  });

  const upload = (who: TestUser, fields: Record<string, string>, file?: { name: string; data: Buffer }, organization?: string) => {
    const body = multipart(fields, file);
    return app.request({ method: 'POST', url: '/api/v1/images/', headers: { ...who.headers(organization), 'content-type': body.contentType }, payload: body.payload });
  };

  it('creates, lists in time order, moves and deletes items; items carry details', async () => {
    const plio = await buildPlio(creator);
    const late = await creator.post('/api/v1/items/', { plio: plio.id, type: 'question', time: 20 });
    assert.equal(late.statusCode, 201);
    assert.deepEqual(late.json().details, {});
    assert.equal(late.json().plio, plio.id);
    const early = (await creator.post('/api/v1/items/', { plio: plio.id, time: 5, meta: { source: 'test' } })).json();
    const listed = (await creator.get(`/api/v1/items/?plio=${plio.uuid}`)).json();
    assert.deepEqual(
      listed.map((item: { id: number }) => item.id),
      [early.id, late.json().id],
    );
    const moved = await creator.patch(`/api/v1/items/${early.id}/`, { time: 30 });
    assert.equal(moved.json().time, 30);
    assert.deepEqual(moved.json().meta, { source: 'test' });
    assert.equal((await creator.delete(`/api/v1/items/${early.id}/`)).statusCode, 204);
    assert.equal((await creator.get(`/api/v1/items/${early.id}/`)).statusCode, 404);
    assert.equal((await creator.get(`/api/v1/items/?plio=${plio.uuid}`)).json().length, 1);
    assert.equal((await creator.post('/api/v1/items/', { plio: 999999, time: 1 })).statusCode, 400);
    assert.equal((await creator.post('/api/v1/items/', { plio: plio.id })).statusCode, 400);
    assert.equal((await creator.get('/api/v1/items/abc/')).statusCode, 404);
  });

  it('bulk deletes items with the reference’s answers', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 1 }, { time: 2 }, { time: 3 }] });
    const [a, b, c] = plio.items;
    const noIds = await creator.delete('/api/v1/items/bulk_delete/', {});
    assert.equal(noIds.statusCode, 400);
    assert.deepEqual(noIds.json(), { detail: 'item id(s) not provided' });
    const notList = await creator.delete('/api/v1/items/bulk_delete/', { id: a!.id });
    assert.deepEqual(notList.json(), { detail: 'id should contain a list of item ids to be deleted' });
    const missing = await creator.delete('/api/v1/items/bulk_delete/', { id: [a!.id, 99999999] });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { detail: 'one or more of the ids provided do not exist' });
    const done = await creator.delete('/api/v1/items/bulk_delete/', { id: [a!.id, b!.id] });
    assert.equal(done.statusCode, 200);
    assert.equal(done.json(), 'deletion successful');
    assert.deepEqual(
      (await creator.get(`/api/v1/plios/${plio.uuid}/`)).json().items.map((item: { id: number }) => item.id),
      [c!.id],
    );
    assert.equal((await creator.get(`/api/v1/questions/${a!.questionId}/`)).statusCode, 404);
  });

  it('soft-deletes a plio with everything that hangs from it, keeping the rows', async () => {
    const organization = client(app, owner, 'org-a');
    const plio = await buildPlio(organization, { questions: [{ time: 1 }] });
    const image = (await upload(owner, {}, { name: 'q.jpg', data: JPEG }, 'org-a')).json();
    await organization.patch(`/api/v1/questions/${plio.items[0]!.questionId}/`, { image: image.id });
    const learner = client(app, await createUser(app), 'org-a');
    const session = (await learner.post('/api/v1/sessions/', { plio: plio.id })).json();
    await learner.post('/api/v1/events/', { session: session.id, type: 'played', player_time: 0 });

    assert.equal((await organization.delete(`/api/v1/plios/${plio.uuid}/`)).statusCode, 204);
    assert.equal((await organization.get(`/api/v1/plios/${plio.uuid}/`)).statusCode, 404);
    assert.equal((await organization.get(`/api/v1/items/${plio.items[0]!.id}/`)).statusCode, 404);
    assert.equal((await organization.get(`/api/v1/questions/${plio.items[0]!.questionId}/`)).statusCode, 404);
    assert.equal((await organization.get(`/api/v1/images/${image.id}/`)).statusCode, 404);
    assert.equal((await learner.get(`/api/v1/sessions/${session.id}/`)).statusCode, 404);

    const db = app.context.db.withSchema(orgSchema);
    for (const table of ['plio', 'item', 'question', 'image', 'session', 'session_answer', 'event'] as const) {
      const rows = await db.selectFrom(table).select(['deleted_at']).execute();
      assert.ok(rows.length > 0 && rows.every((row) => row.deleted_at !== null), `${table} rows are kept, marked deleted`);
    }
    // the video is not cascaded into
    assert.equal((await organization.get(`/api/v1/videos/${plio.videoId}/`)).statusCode, 200);
  });

  it('creates questions of every type and expands their images', async () => {
    const plio = await buildPlio(creator);
    const item = (await creator.post('/api/v1/items/', { plio: plio.id, time: 3 })).json();
    const image = (await upload(owner, { alt_text: 'Option one' }, { name: 'a.jpg', data: JPEG })).json();
    const created = await creator.post('/api/v1/questions/', {
      item: item.id,
      type: 'checkbox',
      text: 'Pick two',
      options: ['a', 'b', 'c'],
      correct_answer: [0, 2],
      option_images: { '0': image.id, '1': null },
      has_char_limit: false,
      survey: true,
    });
    assert.equal(created.statusCode, 201, created.body);
    const question = created.json();
    assert.equal(question.item, item.id);
    assert.deepEqual(question.correct_answer, [0, 2]);
    assert.equal(question.option_images['0'].alt_text, 'Option one');
    assert.equal(question.option_images['1'], null);
    assert.equal(question.survey, true);
    assert.equal(question.image, null);
    const details = (await creator.get(`/api/v1/items/${item.id}/`)).json().details;
    assert.equal(details.id, question.id);
    const subjective = await creator.patch(`/api/v1/questions/${question.id}/`, { type: 'subjective', has_char_limit: true, max_char_limit: 100, correct_answer: null });
    assert.equal(subjective.json().max_char_limit, 100);
    await creator.patch(`/api/v1/questions/${question.id}/`, { image: image.id });
    assert.equal((await creator.get(`/api/v1/plios/${plio.uuid}/`)).json().items[0].details.image.id, image.id);
    assert.equal((await creator.delete(`/api/v1/images/${image.id}/`)).statusCode, 204);
    assert.equal((await creator.get(`/api/v1/questions/${question.id}/`)).json().image, null);
    assert.equal((await creator.get(`/api/v1/plios/${plio.uuid}/`)).json().items[0].details.image, null);
    assert.equal((await creator.post('/api/v1/questions/', { item: item.id, image: 99999999 })).statusCode, 400);
    assert.equal((await creator.post('/api/v1/questions/', { item: item.id, type: 'essay' })).statusCode, 400);
    assert.equal((await creator.post('/api/v1/questions/', { item: 99999999 })).statusCode, 400);
    assert.equal((await creator.delete(`/api/v1/questions/${question.id}/`)).statusCode, 204);
    assert.deepEqual((await creator.get(`/api/v1/items/${item.id}/`)).json().details, {});
  });

  it('uploads an image under the workspace’s folder and serves it back', async () => {
    const created = await upload(owner, { alt_text: 'A diagram' }, { name: 'test_image.jpeg', data: JPEG });
    assert.equal(created.statusCode, 201, created.body);
    const reference: string = created.json().url;
    assert.equal(created.json().alt_text, 'A diagram');
    assert.match(reference, /\/media\/public\/images\/[a-z]{10}\.jpeg$/);
    const fetched = (await creator.get(`/api/v1/images/${created.json().id}/`)).json();
    assert.equal(fetched.url, reference);
    const served = await app.request({ method: 'GET', url: new URL(reference).pathname });
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/jpeg');
    assert.deepEqual(served.rawPayload, JPEG);
    const inOrg = (await upload(owner, {}, { name: 'x.jpg', data: JPEG }, 'org-a')).json();
    assert.match(inOrg.url, new RegExp(`/media/${orgSchema}/images/`));
    assert.equal((await app.request({ method: 'GET', url: '/media/..%2F..%2Fetc%2Fpasswd' })).statusCode, 404);
  });

  it('refuses uploads over 10 MB, files that are not images, and requests without a file', async () => {
    const big = Buffer.concat([JPEG, Buffer.alloc(10 * 1024 * 1024)]);
    const tooBig = await upload(owner, {}, { name: 'big.jpg', data: big });
    assert.equal(tooBig.statusCode, 400);
    assert.ok(tooBig.json().url);
    const notImage = await upload(owner, {}, { name: 'evil.jpg', data: Buffer.from('<script>alert(1)</script>') });
    assert.equal(notImage.statusCode, 400);
    assert.equal((await upload(owner, { alt_text: 'nothing' })).statusCode, 400);
    assert.equal((await creator.post('/api/v1/images/', { url: 'x' })).statusCode, 415);
    const anonymous = multipart({}, { name: 'a.jpg', data: JPEG });
    assert.equal(
      (await app.request({ method: 'POST', url: '/api/v1/images/', headers: { 'content-type': anonymous.contentType }, payload: anonymous.payload })).statusCode,
      401,
    );
  });

  it('manages videos', async () => {
    const created = await creator.post('/api/v1/videos/', { url: 'https://youtu.be/x', duration: 12.5 });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().title, null);
    assert.equal((await creator.patch(`/api/v1/videos/${created.json().id}/`, { title: 'T' })).json().title, 'T');
    assert.ok((await creator.get('/api/v1/videos/')).json().some((video: { id: number }) => video.id === created.json().id));
    assert.equal((await creator.post('/api/v1/videos/', { title: 'no url' })).statusCode, 400);
    assert.equal((await creator.delete(`/api/v1/videos/${created.json().id}/`)).statusCode, 204);
    assert.equal((await creator.get(`/api/v1/videos/${created.json().id}/`)).statusCode, 404);
  });

  it('makes tag slugs from names, unique in the workspace', async () => {
    const first = await creator.post('/api/v1/tags/', { name: 'Grade 10 Maths' });
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().slug, 'grade-10-maths');
    assert.equal((await creator.post('/api/v1/tags/', { name: 'Grade 10 maths' })).json().slug, 'grade-10-maths-1');
    assert.equal((await creator.post('/api/v1/tags/', { name: 'grade 10 MATHS' })).json().slug, 'grade-10-maths-2');
    const renamed = await creator.patch(`/api/v1/tags/${first.json().id}/`, { name: 'Algebra' });
    assert.equal(renamed.json().name, 'Algebra');
    assert.equal(renamed.json().slug, 'grade-10-maths');
    assert.equal((await creator.post('/api/v1/tags/', {})).statusCode, 400);
    assert.equal((await creator.delete(`/api/v1/tags/${first.json().id}/`)).statusCode, 204);
    assert.equal((await creator.get(`/api/v1/tags/${first.json().id}/`)).statusCode, 404);
    // the org's tags are its own
    assert.equal((await client(app, owner, 'org-a').get('/api/v1/tags/')).json().length, 0);
  });

  it('runs experiments over plios, and sessions carry their experiment', async () => {
    const created = await creator.post('/api/v1/experiments/', { name: 'Split', description: 'A/B' });
    assert.equal(created.statusCode, 201);
    const experiment = created.json();
    assert.equal(experiment.type, 'split_url');
    assert.equal(experiment.is_test, false);
    assert.equal(experiment.created_by.id, owner.id);
    const plio = await buildPlio(creator);
    const link = await creator.post('/api/v1/experiment-plios/', { experiment: experiment.id, plio: plio.id, split_percentage: 50 });
    assert.equal(link.statusCode, 201);
    assert.equal(link.json().experiment.id, experiment.id);
    assert.equal(link.json().plio.uuid, plio.uuid);
    assert.equal(link.json().split_percentage, 50);
    assert.equal((await creator.get('/api/v1/experiment-plios/')).json().length, 1);

    const learner = client(app, await createUser(app));
    const first = (await learner.post('/api/v1/sessions/', { plio: plio.id, experiment: experiment.id })).json();
    assert.equal(first.experiment.id, experiment.id);
    // reopening a plio with an experiment carries it over (the reference answered 500)
    const second = await learner.post('/api/v1/sessions/', { plio: plio.id });
    assert.equal(second.statusCode, 201);
    assert.equal(second.json().experiment.id, experiment.id);

    const stranger = client(app, await createUser(app));
    assert.equal((await stranger.get(`/api/v1/experiments/${experiment.id}/`)).statusCode, 404);
    assert.equal((await stranger.post('/api/v1/experiment-plios/', { experiment: experiment.id, plio: plio.id, split_percentage: 1 })).statusCode, 400);
    assert.equal((await creator.post('/api/v1/experiments/', { name: 'no description' })).statusCode, 400);
    assert.equal((await creator.delete(`/api/v1/experiments/${experiment.id}/`)).statusCode, 204);
    assert.equal((await creator.get('/api/v1/experiment-plios/')).json().length, 0);
  });

  it('duplicates items, questions and images into a plio or item the user may edit', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 4, text: 'Original' }] });
    const target = await buildPlio(creator);
    const [source] = plio.items;
    const image = (await upload(owner, { alt_text: 'Pic' }, { name: 'p.jpg', data: JPEG })).json();
    await creator.patch(`/api/v1/questions/${source!.questionId}/`, { image: image.id });

    const noPlio = await creator.post(`/api/v1/items/${source!.id}/duplicate/`, {});
    assert.equal(noPlio.statusCode, 404);
    assert.deepEqual(noPlio.json(), { detail: 'Plio id not passed in the payload.' });
    assert.deepEqual((await creator.post(`/api/v1/items/${source!.id}/duplicate/`, { plioId: 99999999 })).json(), { detail: 'Specified plio not found' });
    const item = await creator.post(`/api/v1/items/${source!.id}/duplicate/`, { plioId: target.id });
    assert.equal(item.statusCode, 200);
    assert.equal(item.json().plio, target.id);
    assert.equal(item.json().time, 4);

    const noItem = await creator.post(`/api/v1/questions/${source!.questionId}/duplicate/`, {});
    assert.equal(noItem.statusCode, 404);
    assert.deepEqual(noItem.json(), { detail: 'Item id not passed in the payload' });
    const question = await creator.post(`/api/v1/questions/${source!.questionId}/duplicate/`, { itemId: item.json().id });
    assert.equal(question.statusCode, 200);
    assert.equal(question.json().text, 'Original');
    assert.notEqual(question.json().image.id, image.id);
    assert.equal(question.json().image.url, image.url);
    assert.equal((await creator.get(`/api/v1/plios/${target.uuid}/`)).json().items[0].details.text, 'Original');

    const copy = await creator.post(`/api/v1/images/${image.id}/duplicate/`);
    assert.equal(copy.statusCode, 200);
    assert.equal(copy.json().alt_text, 'Pic');

    const stranger = client(app, await createUser(app));
    assert.equal((await stranger.post(`/api/v1/items/${source!.id}/duplicate/`, { plioId: target.id })).statusCode, 403);
  });

  it('takes back what it handed out: the web client PUTs items, questions, plios and sessions as it got them', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 2 }] });
    const image = (await upload(owner, {}, { name: 'r.jpg', data: JPEG })).json();
    await creator.patch(`/api/v1/questions/${plio.items[0]!.questionId}/`, { image: image.id, option_images: { '0': image.id } });
    const got = (await creator.get(`/api/v1/plios/${plio.uuid}/`)).json();
    const item = got.items[0];
    assert.equal((await creator.put(`/api/v1/items/${item.id}/`, { ...item, time: 3 })).statusCode, 200);
    const question = await creator.put(`/api/v1/questions/${item.details.id}/`, { ...item.details, text: 'Round trip' });
    assert.equal(question.statusCode, 200, question.body);
    assert.equal(question.json().image.id, image.id);
    assert.equal(question.json().option_images['0'].id, image.id);
    const put = await creator.put(`/api/v1/plios/${plio.uuid}/`, { ...got, name: 'Put back', video: got.video.id, url: 'https://x', duration: 3 });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().name, 'Put back');
    const learner = client(app, await createUser(app));
    const session = (await learner.post('/api/v1/sessions/', { plio: plio.id, user: 12345 })).json();
    assert.equal(session.user.id !== 12345, true);
    assert.equal((await learner.put(`/api/v1/sessions/${session.id}/`, { retention: '1,1,1', watch_time: 2 })).statusCode, 200);
    const answer = session.session_answers[0];
    const answered = await learner.put(`/api/v1/session-answers/${answer.id}/`, { ...answer, answer: 2 });
    assert.equal(answered.statusCode, 200);
    assert.equal(answered.json().answer, 2);
  });
});
