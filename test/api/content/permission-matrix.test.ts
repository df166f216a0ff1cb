/**
 * The exhaustive plio access matrix (tests/integration/org/test_permission_matrix.py):
 * role (member / non-member / superuser) x workspace (personal / org) x
 * visibility (public / private). The plio always belongs to a separate owner.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser, type TestUser } from '../../support/users.ts';
import { client } from './fixtures.ts';

type Role = 'member' | 'non_member' | 'superuser';
interface Cell {
  id: string;
  workspace: 'personal' | 'org';
  role: Role;
  visibility: 'public' | 'private';
  listCount: number;
  retrieve: number;
  play: number;
  mutate: number;
}

const MATRIX: Cell[] = [
  { id: 'personal-member-public', workspace: 'personal', role: 'member', visibility: 'public', listCount: 0, retrieve: 403, play: 200, mutate: 403 },
  { id: 'personal-member-private', workspace: 'personal', role: 'member', visibility: 'private', listCount: 0, retrieve: 403, play: 404, mutate: 403 },
  { id: 'personal-nonmember-public', workspace: 'personal', role: 'non_member', visibility: 'public', listCount: 0, retrieve: 403, play: 200, mutate: 403 },
  { id: 'personal-nonmember-private', workspace: 'personal', role: 'non_member', visibility: 'private', listCount: 0, retrieve: 403, play: 404, mutate: 403 },
  { id: 'personal-superuser-public', workspace: 'personal', role: 'superuser', visibility: 'public', listCount: 0, retrieve: 200, play: 200, mutate: 200 },
  { id: 'personal-superuser-private', workspace: 'personal', role: 'superuser', visibility: 'private', listCount: 0, retrieve: 200, play: 404, mutate: 200 },
  { id: 'org-member-public', workspace: 'org', role: 'member', visibility: 'public', listCount: 1, retrieve: 200, play: 200, mutate: 200 },
  { id: 'org-member-private', workspace: 'org', role: 'member', visibility: 'private', listCount: 0, retrieve: 403, play: 404, mutate: 403 },
  { id: 'org-nonmember-public', workspace: 'org', role: 'non_member', visibility: 'public', listCount: 0, retrieve: 403, play: 200, mutate: 403 },
  { id: 'org-nonmember-private', workspace: 'org', role: 'non_member', visibility: 'private', listCount: 0, retrieve: 403, play: 404, mutate: 403 },
  { id: 'org-superuser-public', workspace: 'org', role: 'superuser', visibility: 'public', listCount: 0, retrieve: 200, play: 200, mutate: 200 },
  { id: 'org-superuser-private', workspace: 'org', role: 'superuser', visibility: 'private', listCount: 0, retrieve: 200, play: 404, mutate: 200 },
];

describe('the plio access matrix', () => {
  let app: TestApp;
  let owner: TestUser;
  const actors = {} as Record<Role, TestUser>;
  let orgId: number;
  before(async () => {
    app = await startApp();
    orgId = (await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' })).id;
    owner = await createUser(app);
    await addMembership(app, owner.id, orgId, 'org-admin');
    actors.member = await createUser(app);
    await addMembership(app, actors.member.id, orgId, 'org-view');
    actors.non_member = await createUser(app);
    actors.superuser = await createUser(app, { isSuperuser: true });
  });
  after(() => app.close());

  const header = (cell: Cell) => (cell.workspace === 'org' ? 'org-a' : undefined);
  const makePlio = async (cell: Cell) => {
    const response = await client(app, owner, header(cell)).post('/api/v1/plios/', { name: 'Owned', is_public: cell.visibility === 'public' });
    assert.equal(response.statusCode, 201);
    return response.json() as { uuid: string; id: number };
  };

  for (const cell of MATRIX) {
    it(`${cell.id}: list ${cell.listCount}, retrieve ${cell.retrieve}, play ${cell.play}, mutate ${cell.mutate}`, async () => {
      // every cell runs in a workspace holding only this cell's plio
      const existing = (await client(app, owner, header(cell)).get('/api/v1/plios/')).json().results as { uuid: string }[];
      for (const plio of existing) await client(app, owner, header(cell)).delete(`/api/v1/plios/${plio.uuid}/`);
      const plio = await makePlio(cell);
      const actor = client(app, actors[cell.role], header(cell));

      const listing = await actor.get('/api/v1/plios/');
      assert.equal(listing.statusCode, 200);
      assert.equal(listing.json().count, cell.listCount);
      if (cell.listCount) assert.equal(listing.json().results[0].uuid, plio.uuid);

      assert.equal((await actor.get(`/api/v1/plios/${plio.uuid}/`)).statusCode, cell.retrieve);
      assert.equal((await actor.get(`/api/v1/plios/${plio.uuid}/play/`)).statusCode, cell.play);

      const mutate = await actor.patch(`/api/v1/plios/${plio.uuid}/`, { name: 'renamed' });
      assert.equal(mutate.statusCode, cell.mutate);
      const name = (await client(app, owner, header(cell)).get(`/api/v1/plios/${plio.uuid}/`)).json().name;
      assert.equal(name, cell.mutate === 200 ? 'renamed' : 'Owned');

      // deleting follows the same rule as editing
      const deletion = await actor.delete(`/api/v1/plios/${plio.uuid}/`);
      assert.equal(deletion.statusCode, cell.mutate === 200 ? 204 : 403);
    });
  }

  it('answers 404, not 403, for a plio that does not exist', async () => {
    assert.equal((await client(app, actors.non_member).get('/api/v1/plios/nosuchplio/')).statusCode, 404);
    assert.equal((await client(app, actors.non_member, 'org-a').patch('/api/v1/plios/nosuchplio/', { name: 'x' })).statusCode, 404);
  });

  it('plays a public plio without a login, and answers "Plio not found" for a private one', async () => {
    const open = (await client(app, owner).post('/api/v1/plios/', { is_public: true })).json();
    const closed = (await client(app, owner).post('/api/v1/plios/', { is_public: false })).json();
    const anonymous = client(app, undefined);
    assert.equal((await anonymous.get(`/api/v1/plios/${open.uuid}/play/`)).statusCode, 200);
    const refused = await anonymous.get(`/api/v1/plios/${closed.uuid}/play/`);
    assert.equal(refused.statusCode, 404);
    assert.deepEqual(refused.json(), { detail: 'Plio not found' });
    assert.equal((await client(app, owner).get(`/api/v1/plios/${closed.uuid}/play/`)).statusCode, 200);
  });

  it('lets only members create plios in an organization', async () => {
    assert.equal((await client(app, actors.member, 'org-a').post('/api/v1/plios/', {})).statusCode, 201);
    assert.equal((await client(app, actors.non_member, 'org-a').post('/api/v1/plios/', {})).statusCode, 403);
    assert.equal((await client(app, actors.non_member).post('/api/v1/plios/', {})).statusCode, 201);
  });

  it('checks items and questions through their plio', async () => {
    const ownerClient = client(app, owner, 'org-a');
    const privatePlio = (await ownerClient.post('/api/v1/plios/', { is_public: false })).json();
    const item = (await ownerClient.post('/api/v1/items/', { plio: privatePlio.id, time: 4 })).json();
    const question = (await ownerClient.post('/api/v1/questions/', { item: item.id, text: 'Q' })).json();
    const member = client(app, actors.member, 'org-a');
    assert.equal((await member.get(`/api/v1/items/${item.id}/`)).statusCode, 403);
    assert.equal((await member.patch(`/api/v1/items/${item.id}/`, { time: 9 })).statusCode, 403);
    assert.equal((await member.get(`/api/v1/questions/${question.id}/`)).statusCode, 403);
    assert.equal((await member.post('/api/v1/items/', { plio: privatePlio.id, time: 1 })).statusCode, 403);
    assert.equal((await member.post('/api/v1/questions/', { item: item.id })).statusCode, 403);
    assert.equal((await member.delete('/api/v1/items/bulk_delete/', { id: [item.id] })).statusCode, 403);
    assert.equal((await member.get(`/api/v1/items/?plio=${privatePlio.uuid}`)).json().length, 0);
    assert.equal((await ownerClient.get(`/api/v1/items/?plio=${privatePlio.uuid}`)).json().length, 1);
    assert.equal((await client(app, actors.superuser, 'org-a').get(`/api/v1/questions/${question.id}/`)).statusCode, 200);

    await ownerClient.patch(`/api/v1/plios/${privatePlio.uuid}/`, { is_public: true });
    assert.equal((await member.patch(`/api/v1/items/${item.id}/`, { time: 9 })).statusCode, 200);
    assert.equal((await member.get(`/api/v1/questions/${question.id}/`)).statusCode, 200);
  });
});
