/**
 * List pages are cached: every case reads a page first (so it is cached),
 * changes something the page shows, and expects the very next read to show
 * the change — and never another user's or another workspace's page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { TEST_DATABASE } from '../../support/database.ts';
import { secondInstance } from '../../support/instances.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { buildPlio, client, type Client } from './fixtures.ts';
import { TEST_REDIS_URL } from '../../support/redis.ts';

interface ListedPlio {
  id: number;
  uuid: string;
  name: string;
  unique_viewers: number;
  items: { id: number; details: { text: string } }[];
}
interface Page {
  count: number;
  raw_count: number;
  results: ListedPlio[];
}

describe('cached plio list pages', () => {
  let app: TestApp;
  let org: Organization;
  let owner: TestUser;
  let creator: Client;
  before(async () => {
    app = await startApp();
    org = await app.context.tenancy.organizations.create({ name: 'Listed', shortcode: 'listed' });
    owner = await createUser(app);
    await addMembership(app, owner.id, org.id, 'org-admin');
    creator = client(app, owner, org.shortcode);
  });
  after(() => app.close());

  const list = async (who: Client = creator, query = '') => {
    const response = await who.get(`/api/v1/plios/${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Page;
  };
  const named = (page: Page, uuid: string) => page.results.find((plio) => plio.uuid === uuid);
  const member = async (role: 'org-admin' | 'org-view' = 'org-view') => {
    const user = await createUser(app);
    await addMembership(app, user.id, org.id, role);
    return { user, as: client(app, user, org.shortcode) };
  };

  it('shows plios as they are created, renamed, duplicated and deleted', async () => {
    const before = await list();
    const plio = await buildPlio(creator, { name: 'first name' });
    const created = await list();
    assert.equal(created.count, before.count + 1);
    assert.equal(named(created, plio.uuid)?.name, 'first name');

    assert.equal((await creator.patch(`/api/v1/plios/${plio.uuid}/`, { name: 'second name' })).statusCode, 200);
    assert.equal(named(await list(), plio.uuid)?.name, 'second name');

    const duplicate = await creator.post(`/api/v1/plios/${plio.uuid}/duplicate/`);
    assert.equal(duplicate.statusCode, 200, duplicate.body);
    assert.ok(named(await list(), duplicate.json().uuid));

    assert.equal((await creator.delete(`/api/v1/plios/${plio.uuid}/`)).statusCode, 204);
    const afterDelete = await list();
    assert.equal(named(afterDelete, plio.uuid), undefined);
    assert.equal(afterDelete.count, created.count);
  });

  it('shows changes to items and questions', async () => {
    const plio = await buildPlio(creator, { questions: [{ time: 1, text: 'before' }] });
    assert.equal(named(await list(), plio.uuid)?.items[0]?.details.text, 'before');
    await creator.patch(`/api/v1/questions/${plio.items[0]!.questionId}/`, { text: 'after' });
    assert.equal(named(await list(), plio.uuid)?.items[0]?.details.text, 'after');
    const item = await creator.post('/api/v1/items/', { plio: plio.id, time: 2, type: 'question' });
    assert.equal(item.statusCode, 201);
    assert.equal(named(await list(), plio.uuid)?.items.length, 2);
  });

  it('counts a new viewer at once, a returning one once, and forgets a deleted session', async () => {
    const plio = await buildPlio(creator);
    assert.equal(named(await list(), plio.uuid)?.unique_viewers, 0);
    const learner = client(app, await createUser(app), org.shortcode);
    const first = await learner.post('/api/v1/sessions/', { plio: plio.id });
    assert.equal(first.statusCode, 201);
    assert.equal(named(await list(), plio.uuid)?.unique_viewers, 1);
    const second = await learner.post('/api/v1/sessions/', { plio: plio.id });
    assert.equal(second.statusCode, 201);
    assert.equal(named(await list(), plio.uuid)?.unique_viewers, 1);
    const byViewers = await list(creator, '?ordering=-unique_viewers');
    assert.equal(byViewers.results[0]?.uuid, plio.uuid);

    for (const session of [first, second]) assert.equal((await learner.delete(`/api/v1/sessions/${session.json().id}/`)).statusCode, 204);
    assert.equal(named(await list(), plio.uuid)?.unique_viewers, 0);
  });

  it("keeps each member's private plios to themselves", async () => {
    const alice = await member();
    const bob = await member();
    const secret = await buildPlio(alice.as, { name: 'alice only', isPublic: false });
    // bob's page is cached first; alice's must not be answered from it, nor the reverse
    assert.equal(named(await list(bob.as), secret.uuid), undefined);
    assert.ok(named(await list(alice.as), secret.uuid));
    assert.equal(named(await list(bob.as), secret.uuid), undefined);
    // a plio made public shows to the other member at once
    assert.equal((await alice.as.patch(`/api/v1/plios/${secret.uuid}/`, { is_public: true })).statusCode, 200);
    assert.ok(named(await list(bob.as), secret.uuid));
  });

  it('follows membership: a member removed from the organization sees an empty list at once', async () => {
    const viewer = await member();
    await buildPlio(creator);
    assert.ok((await list(viewer.as)).count > 0);
    const membership = await app.context.db
      .selectFrom('public.organization_user')
      .select('id')
      .where('user_id', '=', viewer.user.id)
      .executeTakeFirstOrThrow();
    const superuser = await createUser(app, { isSuperuser: true });
    assert.equal((await app.request({ method: 'DELETE', url: `/api/v1/organization-users/${membership.id}/`, headers: superuser.headers() })).statusCode, 204);
    assert.deepEqual(await list(viewer.as), { count: 0, page_size: 5, next: null, previous: null, results: [], raw_count: 0 });
  });

  it('keeps the pages of two workspaces apart, with the same ids in both', async () => {
    const other = await app.context.tenancy.organizations.create({ name: 'Other', shortcode: 'listed-other' });
    await addMembership(app, owner.id, other.id, 'org-admin');
    const elsewhere = client(app, owner, other.shortcode);
    const mine = await buildPlio(elsewhere, { name: 'in the other workspace' });
    const here = await list();
    const there = await list(elsewhere);
    assert.deepEqual(
      there.results.map((plio) => plio.name),
      ['in the other workspace'],
    );
    assert.equal(named(here, mine.uuid), undefined);
    // ids restart in every schema: the first plio of each workspace has id 1
    assert.equal(there.results[0]?.id, 1);
    assert.ok(here.results.every((plio) => plio.name !== 'in the other workspace'));
  });

  it('shows another instance’s writes at once through Redis', async () => {
    const env = { REDIS_URL: TEST_REDIS_URL };
    const [writer, reader] = [await secondInstance(app, env), await secondInstance(app, env)];
    try {
      const headers = owner.headers(org.shortcode);
      const count = async () => ((await reader.app.inject({ method: 'GET', url: '/api/v1/plios/', headers })).json() as Page).count;
      const before = await count();
      const created = await writer.app.inject({ method: 'POST', url: '/api/v1/plios/', headers, payload: { name: 'written elsewhere' } });
      assert.equal(created.statusCode, 201);
      assert.equal(await count(), before + 1);
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('shows another instance’s writes (NOTIFY on PostgreSQL)', { skip: TEST_DATABASE !== 'postgres' && 'one process on the embedded database' }, async () => {
    const other = await secondInstance(app);
    try {
      const readThere = async () => {
        const response = await other.app.inject({ method: 'GET', url: '/api/v1/plios/', headers: owner.headers(org.shortcode) });
        return response.json() as Page;
      };
      const before = (await readThere()).count;
      await buildPlio(creator);
      let seen = before;
      for (let attempt = 0; attempt < 50 && seen === before; attempt++) {
        seen = (await readThere()).count;
        if (seen === before) await new Promise((resolve) => setTimeout(resolve, 40));
      }
      assert.equal(seen, before + 1);
    } finally {
      await other.close();
    }
  });
});
