/** The paginated organization listing (what the operator console pages through). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { seedRoles } from '../../src/accounts/roles.ts';
import { freshTenancy } from '../support/tenancy.ts';

describe('organizations page by page', () => {
  let env: Awaited<ReturnType<typeof freshTenancy>>;
  before(async () => {
    env = await freshTenancy();
    const { organizations, domains } = env.tenancy;
    for (const [shortcode, name] of [['delta', 'Delta School'], ['alpha', 'Alpha Academy'], ['charlie', 'Charlie 100%'], ['bravo', 'Bravo School'], ['echo', 'Echo']]) {
      await organizations.create({ name: name!, shortcode: shortcode! });
    }
    await domains.create({ tenant: 'bravo', domain: 'bravo.example.org', isPrimary: true });
    await organizations.delete('echo');
    const bravo = await organizations.get('bravo');
    await seedRoles(env.database.db);
    const role = await env.database.db.selectFrom('public.role').select('id').where('name', '=', 'org-view').executeTakeFirstOrThrow();
    const users = await env.database.db.insertInto('public.user').values([{ email: 'one@example.org' }, { email: 'two@example.org' }]).returning('id').execute();
    await env.database.db
      .insertInto('public.organization_user')
      .values(users.map((user) => ({ user_id: user.id, organization_id: bravo.id, role_id: role.id })))
      .execute();
  });
  after(() => env.close());

  it('walks every live organization by shortcode, a page at a time', async () => {
    const { organizations } = env.tenancy;
    const first = await organizations.listPage({ limit: 2 });
    assert.equal(first.total, 4); // echo is deleted
    const seen = first.organizations.map((o) => o.shortcode);
    let after = first.nextAfter;
    while (after !== null) {
      const page = await organizations.listPage({ limit: 2, after });
      assert.ok(page.organizations.length <= 2);
      seen.push(...page.organizations.map((o) => o.shortcode));
      after = page.nextAfter;
    }
    const all = (await organizations.list()).map((o) => o.shortcode);
    assert.deepEqual(seen, all);
    assert.ok(!seen.includes('echo'));
  });

  it('carries domains, member counts, versions and sizes for the page', async () => {
    const { organizations } = env.tenancy;
    const page = await organizations.listPage({ search: 'bravo' });
    assert.equal(page.total, 1);
    assert.equal(page.nextAfter, null);
    const [bravo] = page.organizations;
    assert.equal(bravo!.shortcode, 'bravo');
    assert.deepEqual(bravo!.domains, ['bravo.example.org']);
    assert.equal(bravo!.members, 2);
    assert.equal(bravo!.schemaVersion, env.tenancy.migrator.tenantVersion);
    assert.equal(typeof bravo!.sizeBytes, 'number');
  });

  it('searches shortcode and name in any case, with LIKE characters taken literally', async () => {
    const { organizations } = env.tenancy;
    assert.deepEqual((await organizations.listPage({ search: 'SCHOOL' })).organizations.map((o) => o.shortcode), ['bravo', 'delta']);
    assert.deepEqual((await organizations.listPage({ search: '100%' })).organizations.map((o) => o.shortcode), ['charlie']);
    assert.deepEqual((await organizations.listPage({ search: '_' })).organizations, []);
    assert.equal((await organizations.listPage({ search: 'nothing like it' })).total, 0);
  });

  it('keeps the page size within bounds', async () => {
    const { organizations } = env.tenancy;
    assert.equal((await organizations.listPage({ limit: 0 })).organizations.length, 1);
    assert.equal((await organizations.listPage({ limit: 10_000 })).organizations.length, 4);
  });

  it('estimates schema sizes from the catalog once PostgreSQL has counted the pages', async () => {
    const { organizations } = env.tenancy;
    const alpha = await organizations.get('alpha');
    await sql.raw(`insert into "${alpha.schemaName}".video (url) select 'https://example.org/' || i from generate_series(1, 2000) i`).execute(env.database.db);
    await sql.raw(`analyze "${alpha.schemaName}".video`).execute(env.database.db);
    const [listed] = (await organizations.listPage({ search: 'alpha' })).organizations;
    assert.ok(listed!.sizeBytes! >= 8192 * 10, `expected the video table's pages, got ${listed!.sizeBytes}`);
    const full = (await organizations.list()).find((o) => o.shortcode === 'alpha');
    assert.equal(full!.sizeBytes, listed!.sizeBytes);
  });
});
