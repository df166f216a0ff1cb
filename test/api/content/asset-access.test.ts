/**
 * Videos, images and tags follow the plio rules (SPEC section 5, issue 9
 * finding 1): in an organization its members and superusers reach them,
 * nobody else through any `Organization` header; in the personal workspace
 * their creator and superusers. `src/content/asset-access.ts` decides.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { initial } from '../../../src/migrations/tenant/0001-initial.ts';
import { sessionRetentionReach } from '../../../src/migrations/tenant/0002-session-retention-reach.ts';
import { contentOwners } from '../../../src/migrations/tenant/0003-content-owners.ts';
import { appliedMigrations, applyMigrations, scopeTransaction, statementMode } from '../../../src/tenancy/migration.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { buildPlio, client, temporaryMediaRoot } from './fixtures.ts';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);

describe('videos, images and tags belong to their workspace', () => {
  let app: TestApp;
  let media: Awaited<ReturnType<typeof temporaryMediaRoot>>;
  let admin: TestUser;
  let viewer: TestUser;
  let outsider: TestUser;
  let superuser: TestUser;
  before(async () => {
    media = await temporaryMediaRoot();
    app = await startApp({ MEDIA_ROOT: media.path });
    const org = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    await app.context.tenancy.organizations.create({ name: 'Org B', shortcode: 'org-b' });
    admin = await createUser(app);
    viewer = await createUser(app);
    outsider = await createUser(app);
    superuser = await createUser(app, { isSuperuser: true });
    await addMembership(app, admin.id, org.id, 'org-admin');
    await addMembership(app, viewer.id, org.id, 'org-view');
  });
  after(async () => {
    await app.close();
    await media.remove();
  });

  const upload = (who: TestUser, organization?: string) => {
    const boundary = `asset${Date.now()}`;
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      JPEG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return app.request({
      method: 'POST',
      url: '/api/v1/images/',
      headers: { ...who.headers(organization), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
  };

  /** Creates one row of each kind as `who` and answers their paths and a harmless change for each. */
  const createAssets = async (who: TestUser, organization?: string) => {
    const as = client(app, who, organization);
    const video = await as.post('/api/v1/videos/', { url: 'https://youtu.be/own', title: 'Own' });
    const image = await upload(who, organization);
    const tag = await as.post('/api/v1/tags/', { name: 'Own tag' });
    for (const created of [video, image, tag]) assert.equal(created.statusCode, 201, created.body);
    return [
      { path: `/api/v1/videos/${video.json().id}/`, list: '/api/v1/videos/', id: video.json().id as number, change: { title: 'changed' } },
      { path: `/api/v1/images/${image.json().id}/`, list: '/api/v1/images/', id: image.json().id as number, change: { alt_text: 'changed' } },
      { path: `/api/v1/tags/${tag.json().id}/`, list: '/api/v1/tags/', id: tag.json().id as number, change: { name: 'changed' } },
    ];
  };

  it('refuses a signed-in non-member every video, image and tag of an organization (the issue’s attack)', async () => {
    const org = client(app, admin, 'org-a');
    const plio = await buildPlio(org);
    const attacker = client(app, outsider, 'org-a');
    const attack = await attacker.patch(`/api/v1/videos/${plio.videoId}/`, { url: 'https://attacker.example/x' });
    assert.equal(attack.statusCode, 403);
    assert.equal((await client(app, undefined, 'org-a').get(`/api/v1/plios/${plio.uuid}/play/`)).json().video.url, 'https://youtube.com/watch?v=abc');

    for (const asset of await createAssets(admin, 'org-a')) {
      assert.equal((await attacker.get(asset.list)).statusCode, 403, asset.list);
      assert.equal((await attacker.get(asset.path)).statusCode, 403, asset.path);
      assert.equal((await attacker.patch(asset.path, asset.change)).statusCode, 403, asset.path);
      assert.equal((await attacker.delete(asset.path)).statusCode, 403, asset.path);
      // the header picks the schema: the same id elsewhere is another row, or none
      assert.equal((await client(app, admin, 'org-b').get(asset.path)).statusCode, 403, 'not a member of org-b');
      assert.equal((await client(app, superuser, 'org-b').get(asset.path)).statusCode, 404, 'org-b has no such row');
      assert.equal((await client(app, superuser).get(asset.path)).statusCode, 404, 'the personal workspace has no such row');
      assert.equal((await client(app, admin, 'org-a').get(asset.path)).statusCode, 200);
    }
    assert.equal((await attacker.post('/api/v1/videos/', { url: 'https://attacker.example/y' })).statusCode, 403);
    assert.equal((await attacker.post('/api/v1/tags/', { name: 'x' })).statusCode, 403);
    assert.equal((await upload(outsider, 'org-a')).statusCode, 403);
    // anonymous is 401, as everywhere
    assert.equal((await client(app, undefined, 'org-a').get('/api/v1/videos/')).statusCode, 401);
  });

  it('lets every member (any role) and superusers read and write an organization’s assets', async () => {
    for (const who of [viewer, superuser]) {
      const as = client(app, who, 'org-a');
      for (const asset of await createAssets(admin, 'org-a')) {
        assert.ok((await as.get(asset.list)).json().some((row: { id: number }) => row.id === asset.id), asset.list);
        assert.equal((await as.get(asset.path)).statusCode, 200);
        assert.equal((await as.patch(asset.path, asset.change)).statusCode, 200);
        assert.equal((await as.delete(asset.path)).statusCode, 204);
      }
      assert.equal((await as.post('/api/v1/videos/', { url: 'https://youtu.be/v' })).statusCode, 201);
    }
  });

  it('keeps personal videos, images and tags with their creator (and superusers)', async () => {
    const assets = await createAssets(admin);
    const other = client(app, outsider);
    for (const asset of assets) {
      assert.ok(!(await other.get(asset.list)).json().some((row: { id: number }) => row.id === asset.id), asset.list);
      assert.equal((await other.get(asset.path)).statusCode, 403, asset.path);
      assert.equal((await other.patch(asset.path, asset.change)).statusCode, 403, asset.path);
      assert.equal((await other.delete(asset.path)).statusCode, 403, asset.path);
      assert.ok((await client(app, admin).get(asset.list)).json().some((row: { id: number }) => row.id === asset.id));
      assert.ok((await client(app, superuser).get(asset.list)).json().some((row: { id: number }) => row.id === asset.id));
      assert.equal((await client(app, superuser).patch(asset.path, asset.change)).statusCode, 200);
      assert.equal((await client(app, admin).patch(asset.path, asset.change)).statusCode, 200);
    }
    const [, image] = assets;
    assert.equal((await other.post(`/api/v1/images/${image!.id}/duplicate/`)).statusCode, 403);
    const copy = await client(app, admin).post(`/api/v1/images/${image!.id}/duplicate/`);
    assert.equal((await client(app, admin).get(`/api/v1/images/${copy.json().id}/`)).statusCode, 200);
    assert.equal((await other.get(`/api/v1/images/${copy.json().id}/`)).statusCode, 403);
  });

  it('lets a plio or question point only at a video or image its editor reaches', async () => {
    const [video, image] = await createAssets(admin);
    const other = client(app, outsider);
    const refused = await other.post('/api/v1/plios/', { video: video!.id });
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(refused.json(), { video: [`Invalid pk "${video!.id}" - object does not exist.`] });
    const own = (await other.post('/api/v1/plios/', {})).json();
    assert.equal((await other.patch(`/api/v1/plios/${own.uuid}/`, { video: video!.id })).statusCode, 400);
    const item = (await other.post('/api/v1/items/', { plio: own.id, time: 1 })).json();
    assert.equal((await other.post('/api/v1/questions/', { item: item.id, image: image!.id })).statusCode, 400);
    assert.equal((await other.post('/api/v1/questions/', { item: item.id, option_images: { '0': image!.id } })).statusCode, 400);
    // the creator may
    const mine = (await client(app, admin).post('/api/v1/plios/', { video: video!.id })).json();
    assert.equal(mine.video.id, video!.id);
  });

  it('gives duplicated and copied plios’ videos and images to whoever made the copy', async () => {
    const org = client(app, admin, 'org-a');
    const plio = await buildPlio(org, { questions: [{ time: 1 }] });
    const image = (await upload(admin, 'org-a')).json();
    await org.patch(`/api/v1/questions/${plio.items[0]!.questionId}/`, { image: image.id });
    const copied = await org.post(`/api/v1/plios/${plio.uuid}/copy/`, { workspace: 'plio' });
    assert.equal(copied.statusCode, 200, copied.body);
    const copy = copied.json();
    const personal = client(app, admin);
    assert.equal((await personal.get(`/api/v1/videos/${copy.video.id}/`)).statusCode, 200);
    assert.equal((await personal.get(`/api/v1/images/${copy.items[0].details.image.id}/`)).statusCode, 200);
    assert.equal((await client(app, outsider).get(`/api/v1/videos/${copy.video.id}/`)).statusCode, 403);
  });

  it('leaves a personal row with no recorded creator to superusers', async () => {
    const row = await app.context.db.insertInto('video').values({ url: 'https://youtu.be/old' }).returning('id').executeTakeFirstOrThrow();
    assert.equal((await client(app, admin).get(`/api/v1/videos/${row.id}/`)).statusCode, 403);
    assert.equal((await client(app, superuser).get(`/api/v1/videos/${row.id}/`)).statusCode, 200);
  });
});

describe('tenant migration 0003 gives existing videos and images an owner', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  it('takes the creator of the first plio that shows the row; rows no plio shows stay without one', async () => {
    const mode = await statementMode(app.context.db);
    const ownerOf = await app.context.db.transaction().execute(async (trx) => {
      await sql`create schema owners_probe`.execute(trx);
      await scopeTransaction(trx, 'owners_probe');
      await appliedMigrations(trx, 'tenant'); // creates the ledger
      await applyMigrations(trx, 'tenant', [initial, sessionRetentionReach], mode);
      await sql`
        insert into video (id, url) values (1, 'shown'), (2, 'unused');
        insert into image (id, url) values (1, 'question'), (2, 'option'), (3, 'unused');
        insert into plio (id, uuid, video_id, created_by_id) values (1, 'first', 1, 41), (2, 'second', 1, 42);
        insert into item (id, plio_id, time) values (1, 2, 0);
        insert into question (id, item_id, image_id, option_images) values (1, 1, 1, '{"0": 2, "1": null}');
        insert into tag (id, name, slug) values (1, 'old', 'old')`.execute(trx);
      await applyMigrations(trx, 'tenant', [contentOwners], mode);
      const { rows } = await sql<{ kind: string; id: number; created_by_id: number | null }>`
        select 'video' as kind, id, created_by_id from video union all
        select 'image', id, created_by_id from image union all
        select 'tag', id, created_by_id from tag order by 1, 2`.execute(trx);
      await sql`drop schema owners_probe cascade`.execute(trx);
      return Object.fromEntries(rows.map((row) => [`${row.kind} ${row.id}`, row.created_by_id === null ? null : Number(row.created_by_id)]));
    });
    assert.deepEqual(ownerOf, {
      'image 1': 42,
      'image 2': 42,
      'image 3': null,
      'tag 1': null,
      'video 1': 41,
      'video 2': null,
    });
  });
});
