import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser } from '../../support/users.ts';
import { buildPlio, client, type Client } from './fixtures.ts';

describe('plios: the creator journey (tests/integration/creator/test_plio_crud.py, plio/tests.py)', () => {
  let app: TestApp;
  let creator: Client;
  let creatorInOrg: Client;
  let creatorId: number;
  before(async () => {
    app = await startApp();
    const user = await createUser(app);
    creatorId = user.id;
    const org = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    await addMembership(app, user.id, org.id, 'org-admin');
    creator = client(app, user);
    creatorInOrg = client(app, user, 'org-a');
  });
  after(() => app.close());

  it('creates, reads, renames, lists and deletes a plio in the personal workspace', async () => {
    const created = await creator.post('/api/v1/plios/', { name: 'Fractions intro' });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().name, 'Fractions intro');
    assert.equal(created.json().status, 'draft');
    const uuid = created.json().uuid;
    assert.match(uuid, /^[a-z]{10}$/);

    const fetched = await creator.get(`/api/v1/plios/${uuid}/`);
    assert.equal(fetched.statusCode, 200);
    assert.equal(fetched.json().name, 'Fractions intro');
    assert.equal(fetched.json().created_by.id, creatorId);

    assert.equal((await creator.patch(`/api/v1/plios/${uuid}/`, { name: 'Fractions basics' })).statusCode, 200);
    assert.equal((await creator.get(`/api/v1/plios/${uuid}/`)).json().name, 'Fractions basics');

    const listing = await creator.get('/api/v1/plios/');
    assert.equal(listing.statusCode, 200);
    assert.equal(listing.json().count, 1);

    assert.equal((await creator.delete(`/api/v1/plios/${uuid}/`)).statusCode, 204);
    assert.equal((await creator.get(`/api/v1/plios/${uuid}/`)).statusCode, 404);
    assert.equal((await creator.get('/api/v1/plios/')).json().count, 0);
  });

  it('answers POST /plios/ with no body with 201, a uuid and an id', async () => {
    const created = await app.request({ method: 'POST', url: '/api/v1/plios/', headers: (await createUser(app)).headers() });
    assert.equal(created.statusCode, 201);
    assert.ok(created.json().uuid);
    assert.equal(typeof created.json().id, 'number');
  });

  it('shows a missing video as an object of empty fields, and items as a list', async () => {
    const created = await creator.post('/api/v1/plios/', {});
    assert.deepEqual(created.json().video, { url: '', title: '', duration: null });
    assert.deepEqual(created.json().items, []);
    assert.equal(created.json().is_public, true);
    assert.equal(created.json().config, null);
  });

  it('keeps a plio made in an organization in that organization', async () => {
    const created = await creatorInOrg.post('/api/v1/plios/', { name: 'Org plio' });
    assert.equal(created.statusCode, 201);
    const uuid = created.json().uuid;
    assert.equal((await creatorInOrg.get(`/api/v1/plios/${uuid}/`)).json().name, 'Org plio');
    assert.equal((await creator.get(`/api/v1/plios/${uuid}/`)).statusCode, 404);
    assert.equal((await creatorInOrg.patch(`/api/v1/plios/${uuid}/`, { name: 'Org plio renamed' })).statusCode, 200);
    assert.equal((await creatorInOrg.get(`/api/v1/plios/${uuid}/`)).json().name, 'Org plio renamed');
    assert.equal((await creatorInOrg.get('/api/v1/plios/')).json().count, 1);
    assert.equal((await creatorInOrg.delete(`/api/v1/plios/${uuid}/`)).statusCode, 204);
    assert.equal((await creatorInOrg.get(`/api/v1/plios/${uuid}/`)).statusCode, 404);
  });

  it('lists the most recently updated first', async () => {
    const user = client(app, await createUser(app));
    const first = (await user.post('/api/v1/plios/', { name: 'First' })).json().uuid;
    const second = (await user.post('/api/v1/plios/', { name: 'Second' })).json().uuid;
    const order = async () => (await user.get('/api/v1/plios/')).json().results.map((row: { uuid: string }) => row.uuid);
    assert.deepEqual(await order(), [second, first]);
    await user.patch(`/api/v1/plios/${first}/`, { name: 'First edited' });
    assert.deepEqual(await order(), [first, second]);
  });

  it('paginates by 5 with next and previous links and a raw count', async () => {
    const user = client(app, await createUser(app));
    for (let i = 0; i < 7; i++) await user.post('/api/v1/plios/', { name: `plio ${i}` });
    const first = (await user.get('/api/v1/plios/')).json();
    assert.equal(first.count, 7);
    assert.equal(first.raw_count, 7);
    assert.equal(first.page_size, 5);
    assert.equal(first.results.length, 5);
    assert.equal(first.previous, null);
    assert.match(first.next, /\/api\/v1\/plios\/\?page=2$/);
    const second = (await user.get('/api/v1/plios/?page=2')).json();
    assert.equal(second.results.length, 2);
    assert.equal(second.next, null);
    assert.match(second.previous, /\/api\/v1\/plios\/$/);
    assert.equal((await user.get('/api/v1/plios/?page=3')).statusCode, 404);
    assert.equal((await user.get('/api/v1/plios/?page=abc')).statusCode, 404);
  });

  it('searches by name, status and uuid, keeping raw_count', async () => {
    const user = client(app, await createUser(app));
    await user.post('/api/v1/plios/', { name: 'Algebra one' });
    const published = (await user.post('/api/v1/plios/', { name: 'Geometry', status: 'published' })).json();
    await user.post('/api/v1/plios/', { name: 'Algebra two' });
    const byName = (await user.get('/api/v1/plios/?search=algebra')).json();
    assert.equal(byName.count, 2);
    assert.equal(byName.raw_count, 3);
    assert.equal((await user.get('/api/v1/plios/?search=published')).json().count, 1);
    assert.equal((await user.get(`/api/v1/plios/?search=${published.uuid}`)).json().results[0].uuid, published.uuid);
    assert.equal((await user.get('/api/v1/plios/?search=100%25_')).json().count, 0);
  });

  it('orders by name, and by unique viewers', async () => {
    const owner = await createUser(app);
    const user = client(app, owner);
    const b = await buildPlio(user, { name: 'B' });
    const a = await buildPlio(user, { name: 'A' });
    await buildPlio(user, { name: 'C' });
    const names = async (ordering: string) => (await user.get(`/api/v1/plios/?ordering=${ordering}`)).json().results.map((row: { name: string }) => row.name);
    assert.deepEqual(await names('name'), ['A', 'B', 'C']);
    assert.deepEqual(await names('-name'), ['C', 'B', 'A']);
    assert.deepEqual(await names('bogus'), ['C', 'A', 'B']);
    for (let i = 0; i < 2; i++) await client(app, await createUser(app)).post('/api/v1/sessions/', { plio: b.id });
    await client(app, await createUser(app)).post('/api/v1/sessions/', { plio: a.id });
    const listed = (await user.get('/api/v1/plios/?ordering=-unique_viewers')).json().results;
    assert.deepEqual(
      listed.map((row: { name: string; unique_viewers: number }) => [row.name, row.unique_viewers]),
      [
        ['B', 2],
        ['A', 1],
        ['C', 0],
      ],
    );
  });

  it('lists plios with their items and question details', async () => {
    const user = client(app, await createUser(app));
    await buildPlio(user, { questions: [{ time: 10 }, { time: 5, type: 'subjective' }] });
    const [row] = (await user.get('/api/v1/plios/')).json().results;
    assert.deepEqual(
      row.items.map((item: { time: number; details: { type: string } }) => [item.time, item.details.type]),
      [
        [5, 'subjective'],
        [10, 'mcq'],
      ],
    );
  });

  it("list rows carry the video's url (the home page's thumbnail), null without a video, and the video follows its changes", async () => {
    const user = client(app, await createUser(app));
    const withVideo = await buildPlio(user, { name: 'With video' });
    await buildPlio(user, { name: 'Without video', duration: null });
    const urls = async () =>
      Object.fromEntries((await user.get('/api/v1/plios/')).json().results.map((row: { name: string; video_url: string | null }) => [row.name, row.video_url]));
    assert.deepEqual(await urls(), { 'With video': 'https://youtube.com/watch?v=abc', 'Without video': null });
    assert.equal((await user.patch(`/api/v1/videos/${withVideo.videoId}/`, { url: 'https://youtube.com/watch?v=xyz' })).statusCode, 200);
    assert.equal((await urls())['With video'], 'https://youtube.com/watch?v=xyz');
  });

  it('stores settings under config.settings and answers the config', async () => {
    const plio = (await creator.post('/api/v1/plios/', { config: { theme: 'dark' } })).json();
    const response = await creator.patch(`/api/v1/plios/${plio.uuid}/setting/`, { player: { skipEnabled: true } });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { theme: 'dark', settings: { player: { skipEnabled: true } } });
    assert.deepEqual((await creator.get(`/api/v1/plios/${plio.uuid}/`)).json().config, response.json());
  });

  it('refuses a video that does not exist', async () => {
    const response = await creator.post('/api/v1/plios/', { video: 999999 });
    assert.equal(response.statusCode, 400);
    assert.ok(response.json().video);
  });

  it('needs a login', async () => {
    assert.equal((await app.request({ method: 'GET', url: '/api/v1/plios/' })).statusCode, 401);
    assert.equal((await app.request({ method: 'POST', url: '/api/v1/plios/' })).statusCode, 401);
  });

  it('documents every content and learning route in the OpenAPI document', async () => {
    const document = (await app.request({ method: 'GET', url: '/api/v1/docs/json' })).json();
    for (const path of [
      '/api/v1/plios/',
      '/api/v1/plios/{uuid}/',
      '/api/v1/plios/{uuid}/setting/',
      '/api/v1/plios/{uuid}/play/',
      '/api/v1/plios/{uuid}/duplicate/',
      '/api/v1/plios/{uuid}/copy/',
      '/api/v1/items/bulk_delete/',
      '/api/v1/questions/{id}/',
      '/api/v1/images/',
      '/api/v1/videos/',
      '/api/v1/tags/',
      '/api/v1/experiments/',
      '/api/v1/experiment-plios/',
      '/api/v1/sessions/',
      '/api/v1/session-answers/',
      '/api/v1/events/',
    ]) {
      assert.ok(document.paths[path], `${path} is documented`);
    }
    assert.deepEqual(document.paths['/api/v1/plios/{uuid}/copy/'].post.tags, ['plios']);
  });
});
