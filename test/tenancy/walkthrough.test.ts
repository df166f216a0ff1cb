import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Organization } from '../../src/tenancy/organizations.ts';
import { migrations } from '../../src/migrations/index.ts';
import { ON_CITUS } from '../support/database.ts';
import { freshTenancy, schemaNames, SHARED_TABLES, tableNames, TENANT_TABLES } from '../support/tenancy.ts';

// The reference's docs/MULTITENANCY.md walkthrough, step by step, through the
// same registry `plio shell` exposes as Organization and Domain.
describe('the multitenancy walkthrough', () => {
  let env: Awaited<ReturnType<typeof freshTenancy>>;
  let publicTenant: Organization;
  let avantiFellows: Organization;
  before(async () => {
    env = await freshTenancy();
  });
  after(() => env.close());

  it('step 2: creates the public tenant and its primary domain', async () => {
    const { organizations: Organization, domains: Domain } = env.tenancy;
    publicTenant = await Organization.create({ schemaName: 'public', name: 'Plio', shortcode: 'plio' });
    const domain = await Domain.create({ domain: 'plio.in', tenant: publicTenant, isPrimary: true });
    assert.equal(publicTenant.schemaName, 'public');
    assert.equal(domain.isPrimary, true);
    assert.equal(domain.tenantId, publicTenant.id);
  });

  it('step 3: creates "Avanti Fellows" with a generated schema and the domain plio.in/avantifellows', async () => {
    const { organizations: Organization, domains: Domain } = env.tenancy;
    avantiFellows = await Organization.create({ name: 'Avanti Fellows', shortcode: 'af' });
    assert.match(avantiFellows.schemaName, /^[a-z]{10}$/);
    assert.match(avantiFellows.apiKey, /^[A-Za-z0-9]{20}$/);
    const domain = await Domain.create({ domain: 'plio.in/avantifellows', tenant: avantiFellows, isPrimary: true });
    assert.equal(domain.domain, 'plio.in/avantifellows');
  });

  it('step 4: lists public and the new schema among the schemata', async () => {
    const schemas = await schemaNames(env.database.db);
    assert.ok(schemas.includes('public'));
    assert.ok(schemas.includes(avantiFellows.schemaName));
    // On Citus the extension keeps schemas of its own.
    const systemSchemas = ['information_schema', ...(ON_CITUS ? ['citus', 'citus_internal'] : [])];
    const userSchemas = schemas.filter((s) => !s.startsWith('pg_') && !systemSchemas.includes(s));
    assert.deepEqual(userSchemas, [avantiFellows.schemaName, 'public'].sort());
  });

  it('step 5: public has the shared tables and the content tables; the tenant has only content tables', async () => {
    const publicTables = await tableNames(env.database.db, 'public');
    const tenantTables = await tableNames(env.database.db, avantiFellows.schemaName);
    assert.deepEqual(tenantTables, [...TENANT_TABLES, 'plio_migration'].sort());
    assert.deepEqual(publicTables, [...SHARED_TABLES, ...TENANT_TABLES, 'plio_migration'].sort());
    assert.deepEqual(
      publicTables.filter((t) => !tenantTables.includes(t)),
      SHARED_TABLES,
    );
  });

  it('lists both organizations with their domains and schema version', async () => {
    const listing = await env.tenancy.organizations.list();
    assert.deepEqual(
      listing.map((o) => [o.shortcode, o.schemaName, o.domains, o.schemaVersion]),
      [
        ['af', avantiFellows.schemaName, ['plio.in/avantifellows'], migrations.tenant.length],
        ['plio', 'public', ['plio.in'], migrations.tenant.length],
      ],
    );
    assert.ok(listing.every((o) => typeof o.sizeBytes === 'number' && o.sizeBytes > 0));
  });
});
