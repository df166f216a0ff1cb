import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrations } from '../../src/migrations/index.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { databaseLabel, ON_CITUS, OTHER_DATABASE, TEST_DATABASE } from '../support/database.ts';
import { apiAnswers, createUser, exportToBuffer, importFromBuffer, seedOrganization } from '../support/portability.ts';
import { schemaNames } from '../support/tenancy.ts';

/**
 * An organization exported from one kind of database and imported into
 * another answers the API exactly as before: PGlite → PostgreSQL in the
 * embedded pass, PostgreSQL → PGlite in the PostgreSQL pass, and both ways
 * between Citus and PGlite in the Citus pass.
 */
const roundTrips: Array<[from: 'embedded' | 'postgres', to: 'embedded' | 'postgres']> = ON_CITUS
  ? [['postgres', 'embedded'], ['embedded', 'postgres']]
  : [[TEST_DATABASE, OTHER_DATABASE]];

for (const [from, to] of roundTrips) describe(`organization export ${databaseLabel(from)} → import ${databaseLabel(to)}`, () => {
  let source: TestApp;
  let target: TestApp;
  let media: string;
  let seeded: Awaited<ReturnType<typeof seedOrganization>>;
  let archive: Buffer;

  before(async () => {
    media = mkdtempSync(join(tmpdir(), 'plio-port-media-'));
    source = await startApp({ MEDIA_ROOT: join(media, 'source') }, { databaseKind: from });
    target = await startApp({ MEDIA_ROOT: join(media, 'target') }, { databaseKind: to });
    seeded = await seedOrganization(source, 'af');
    archive = await exportToBuffer(source, 'af');
  });
  after(async () => {
    await Promise.all([source?.close(), target?.close()]);
    rmSync(media, { recursive: true, force: true });
  });

  it('gives identical API answers after the round trip, with users remapped by identity', async () => {
    const before = await apiAnswers(source, seeded.admin, 'af', seeded.plios);
    // Users already on the target shift every id, and the admin exists there already (matched by email).
    for (let i = 0; i < 3; i++) await createUser(target);
    const admin = await createUser(target, { email: 'admin@af.example.org' });

    const result = await importFromBuffer(target, archive);
    assert.equal(result.replaced, false);
    assert.deepEqual(result.users, { matched: 1, created: 4 }); // viewer and three learners
    assert.equal(result.media, 1);
    assert.deepEqual(result.skippedDomains, []);
    assert.equal(result.organization.shortcode, 'af');
    assert.equal(result.organization.schemaVersion, migrations.tenant.length);

    const after = await apiAnswers(target, admin, 'af', seeded.plios);
    assert.deepEqual(after, before);
  });

  it('points every user reference at the matched or created user', async () => {
    const db = target.context.db;
    const org = (await target.context.tenancy.organizations.findByShortcode('af'))!;
    const { rows } = await sql<{ email: string | null; mobile: string | null; unique_id: string | null; auth_org_id: number | null }>`
      select u.email, u.mobile, u.unique_id, u.auth_org_id from ${sql.table(`${org.schemaName}.session`)} s
      join public."user" u on u.id = s.user_id order by s.id`.execute(db);
    assert.deepEqual(
      rows.map((r) => r.email ?? r.mobile ?? `${r.unique_id}@${r.auth_org_id}`),
      ['learner@af.example.org', '+919000000001', `roll-42@${org.id}`, 'learner@af.example.org'],
    );
    const creators = await db.withSchema(org.schemaName).selectFrom('plio').innerJoin('public.user as u', 'u.id', 'plio.created_by_id').select(['u.email', 'u.mobile']).orderBy('plio.id').execute();
    assert.deepEqual(creators, [
      { email: 'admin@af.example.org', mobile: null },
      { email: null, mobile: '+919876543210' },
    ]);
    const members = await db
      .selectFrom('public.organization_user as m')
      .innerJoin('public.user as u', 'u.id', 'm.user_id')
      .innerJoin('public.role as r', 'r.id', 'm.role_id')
      .select(['u.email', 'u.mobile', 'r.name'])
      .where('m.organization_id', '=', org.id)
      .orderBy('r.name')
      .execute();
    assert.deepEqual(members, [
      { email: 'admin@af.example.org', mobile: null, name: 'org-admin' },
      { email: null, mobile: '+919876543210', name: 'org-view' },
    ]);
    const domains = await db.selectFrom('public.domain').select(['domain', 'is_primary']).where('tenant_id', '=', org.id).execute();
    assert.deepEqual(domains, [{ domain: 'af.example.org', is_primary: true }]);
    assert.deepEqual(org.config, { theme: 'dark' });
  });

  it('sets every sequence past the imported ids', async () => {
    const org = (await target.context.tenancy.organizations.findByShortcode('af'))!;
    const tenant = target.context.db.withSchema(org.schemaName);
    const before = await tenant.selectFrom('session').select(sql<number>`max(id)`.as('max')).executeTakeFirstOrThrow();
    const created = await tenant.insertInto('session').values({ plio_id: 1, user_id: 1 }).returning('id').executeTakeFirstOrThrow();
    assert.ok(created.id > before.max, `new id ${created.id} after ${before.max}`);
  });

  it('refuses a taken shortcode in one line, and imports the same archive under another', async () => {
    const schemasBefore = await schemaNames(target.context.db);
    await assert.rejects(importFromBuffer(target, archive), { message: 'an organization with shortcode "af" already exists' });
    assert.deepEqual(await schemaNames(target.context.db), schemasBefore);

    const copy = await importFromBuffer(target, archive, { shortcode: 'af-copy', name: 'AF copy' });
    assert.equal(copy.organization.name, 'AF copy');
    // Everyone is matched but the SSO learner: an SSO id belongs to its organization, and this is a new one.
    assert.deepEqual(copy.users, { matched: 4, created: 1 });
    assert.deepEqual(copy.skippedDomains, ['af.example.org']);
    assert.notEqual(copy.organization.apiKey, (await target.context.tenancy.organizations.findByShortcode('af'))!.apiKey);
  });
});
