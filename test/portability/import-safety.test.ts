import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { migrations } from '../../src/migrations/index.ts';
import { sha256 } from '../../src/portability/archive.ts';
import type { MigrationSets } from '../../src/tenancy/migration.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { apiAnswers, archiveEntries, downgradeArchive, exportToBuffer, importFromBuffer, packArchive, seedOrganization, signInAs } from '../support/portability.ts';
import { schemaNames } from '../support/tenancy.ts';
import { addMembership } from '../support/users.ts';

/** What an import must leave untouched when it is refused. */
async function installationState(app: TestApp) {
  const db = app.context.db;
  const count = async (table: 'public.user' | 'public.organization_user' | 'public.domain') =>
    Number((await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
  return {
    schemas: await schemaNames(db),
    organizations: await db.selectFrom('public.organization').select(['shortcode', 'schema_name', 'name']).orderBy('id').execute(),
    users: await count('public.user'),
    memberships: await count('public.organization_user'),
    domains: await count('public.domain'),
  };
}

describe('import refuses what it cannot trust, before writing anything', () => {
  let source: TestApp;
  let target: TestApp;
  let media: string;
  let archive: Buffer;

  before(async () => {
    media = mkdtempSync(join(tmpdir(), 'plio-port-safety-'));
    source = await startApp({ MEDIA_ROOT: join(media, 'source') });
    target = await startApp({ MEDIA_ROOT: join(media, 'target') });
    mkdirSync(join(media, 'target'), { recursive: true });
    await seedOrganization(source, 'af');
    archive = await exportToBuffer(source, 'af');
  });
  after(async () => {
    await Promise.all([source?.close(), target?.close()]);
    rmSync(media, { recursive: true, force: true });
  });

  const refused = async (file: Buffer, message: RegExp) => {
    const state = await installationState(target);
    await assert.rejects(importFromBuffer(target, file), (error: Error & { code?: string }) => {
      assert.match(error.message, message);
      assert.ok(error.code === 'ARCHIVE_INVALID' || error.code === 'ARCHIVE_TOO_NEW', error.message);
      return true;
    });
    assert.deepEqual(await installationState(target), state);
  };

  it('refuses a damaged file: a flipped byte, a truncation', async () => {
    const flipped = Buffer.from(archive);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x55;
    await refused(flipped, /^not a usable Plio organization archive: the compressed data is damaged .*; nothing was imported$/);
    await refused(archive.subarray(0, Math.floor(archive.length * 0.8)), /the file is truncated/);
  });

  it('refuses a part whose content does not match its checksum', async () => {
    const entries = await archiveEntries(archive);
    const part = [...entries.keys()].find((path) => path.startsWith('tables/session/'))!;
    entries.set(part, Buffer.from(entries.get(part)!.toString().replace('"watch_time":30', '"watch_time":31')));
    await refused(await packArchive(entries), new RegExp(`"${part}" fails its checksum`));
  });

  it('refuses rows pointing at rows the archive lacks, and removes the media it had stored', async () => {
    const entries = await archiveEntries(archive);
    const part = [...entries.keys()].find((path) => path.startsWith('tables/question/'))!;
    const lines = entries.get(part)!.toString().replace(/"image_id":\d+/, '"image_id":999');
    entries.set(part, Buffer.from(lines));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    const files = manifest.files.map((file: { path: string }) => (file.path === part ? { ...file, bytes: lines.length, sha256: sha256(Buffer.from(lines)) } : file));
    entries.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, files })));
    assert.ok(manifest.media.length > 0, 'the archive carries an image, stored before the tables load');
    const mediaBefore = readdirSync(join(media, 'target'), { recursive: true }).sort();
    await refused(await packArchive(entries), /^not a usable Plio organization archive: rows of table "question" point at rows it does not carry \(FOREIGN KEY \(image_id\) REFERENCES .*image\(id\)/);
    assert.deepEqual(readdirSync(join(media, 'target'), { recursive: true }).sort(), mediaBefore);
  });

  it('refuses foreign files', async () => {
    await refused(Buffer.from('PK\u0003\u0004 this is a zip, not ours'), /not a gzip-compressed file/);
    await refused(await packArchive(new Map([['README', Buffer.from('hello')]])), /it has no manifest\.json/);
    const entries = await archiveEntries(archive);
    entries.set('manifest.json', Buffer.from(JSON.stringify({ format: 'something-else' })));
    await refused(await packArchive(entries), /is not a Plio organization export/);
  });

  it('refuses an archive of a newer schema version, or of a newer format, clearly', async () => {
    const entries = await archiveEntries(archive);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    entries.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, migrations: [...manifest.migrations, '9999-from-the-future'], schema_version: 99 })));
    await refused(
      await packArchive(entries),
      new RegExp(`^the archive's schema version is ${migrations.tenant.length + 1}, newer than this installation's ${migrations.tenant.length}; upgrade Plio here first`),
    );
    entries.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, format_version: 2 })));
    await refused(await packArchive(entries), /the archive's format version is 2, newer than this installation's 1/);
  });

  it('with --replace swaps the organization\'s data for the archive\'s, atomically', async () => {
    const first = await importFromBuffer(target, archive);
    const org = first.organization;
    // The day after the export: a plio renamed, a member added, a domain changed.
    await target.context.db.withSchema(org.schemaName).updateTable('plio').set({ name: 'Renamed since' }).execute();
    const intruder = await target.context.db.insertInto('public.user').values({ email: 'late@af.example.org' }).returning('id').executeTakeFirstOrThrow();
    await addMembership(target, intruder.id, org.id, 'org-view');
    await target.context.tenancy.domains.create({ domain: 'extra.example.org', tenant: org, isPrimary: false });

    const restored = await importFromBuffer(target, archive, { replace: true });
    assert.equal(restored.replaced, true);
    assert.equal(restored.organization.id, org.id);
    assert.equal(restored.organization.apiKey, org.apiKey);
    assert.notEqual(restored.organization.schemaName, org.schemaName);
    assert.ok(!(await schemaNames(target.context.db)).includes(org.schemaName), 'the old schema is dropped');
    const names = await target.context.db.withSchema(restored.organization.schemaName).selectFrom('plio').select('name').orderBy('id').execute();
    assert.deepEqual(names.map((p) => p.name), ['Photosynthesis', 'Draft']);
    const members = await target.context.db.selectFrom('public.organization_user').select('user_id').where('organization_id', '=', org.id).execute();
    assert.ok(!members.some((m) => m.user_id === intruder.id), 'memberships are the archive\'s');
    assert.equal(members.length, 2);
    const domains = await target.context.db.selectFrom('public.domain').select('domain').where('tenant_id', '=', org.id).execute();
    assert.deepEqual(domains, [{ domain: 'af.example.org' }]);
    assert.deepEqual(restored.users, { matched: 5, created: 0 }); // the SSO learner belongs to this same organization
  });

  it('without --replace, refuses the taken shortcode in one line', async () => {
    const state = await installationState(target);
    await assert.rejects(importFromBuffer(target, archive), { message: 'an organization with shortcode "af" already exists' });
    assert.deepEqual(await installationState(target), state);
  });
});

describe('archives across schema versions', () => {
  const [first, ...later] = migrations.tenant;
  // A tenant migration another stream might add: a column naming a user, and one that does not. No real migration adds either.
  const addedColumn = { name: '9000-video-reviewer', sql: 'alter table video add column reviewed_by_id bigint, add column caption text' };
  const newer: MigrationSets = { shared: migrations.shared, tenant: [...migrations.tenant, addedColumn] };
  const apps: TestApp[] = [];
  after(() => Promise.all(apps.map((app) => app.close())));

  it('imports an older archive and migrates it forward after loading', async () => {
    const source = await startApp();
    const target = await startApp();
    apps.push(source, target);
    const seeded = await seedOrganization(source, 'old');
    // As an installation at tenant migration 0001 alone would have written it.
    const archive = await downgradeArchive(source, await exportToBuffer(source, 'old'), [first!]);
    const manifest = JSON.parse((await archiveEntries(archive)).get('manifest.json')!.toString());
    assert.equal(manifest.schema_version, 1);
    assert.ok(!manifest.tables.find((t: { name: string }) => t.name === 'session').columns.includes('retention_reach'));

    const result = await importFromBuffer(target, archive);
    assert.equal(result.organization.schemaVersion, migrations.tenant.length);
    const ledger = await sql<{ name: string }>`select name from ${sql.table(`${result.organization.schemaName}.plio_migration`)} order by name`.execute(target.context.db);
    assert.deepEqual(ledger.rows.map((r) => r.name), migrations.tenant.map((m) => m.name));
    assert.ok(later.length > 0);
    const tenant = target.context.db.withSchema(result.organization.schemaName);
    // 0002's columns, filled in for the loaded sessions by the forward migration.
    const sessions = await tenant.selectFrom('session').select(['retention_seconds', 'retention_reach']).where('deleted_at', 'is', null).execute();
    assert.deepEqual(sessions, [1, 2, 3].map(() => ({ retention_seconds: 5, retention_reach: 5 })));
    // 0003's owners, backfilled from the plio that shows them and remapped to this installation's users.
    const { rows: owners } = await sql<{ email: string }>`
      select u.email from ${sql.table(`${result.organization.schemaName}.video`)} v join public."user" u on u.id = v.created_by_id`.execute(target.context.db);
    assert.deepEqual(owners, [{ email: 'admin@old.example.org' }]);
    const answers = await apiAnswers(target, await signInAs(target, 'admin@old.example.org'), 'old', seeded.plios);
    assert.equal((answers[`metrics ${seeded.plios[0]}`] as { unique_viewers: number }).unique_viewers, 3);
  });

  it('carries a column a later migration added, remapping it when it names a user, with no change to the exporter', async () => {
    const source = await startApp({}, { migrationSets: newer });
    const target = await startApp({}, { migrationSets: newer });
    apps.push(source, target);
    const seeded = await seedOrganization(source, 'col');
    const schema = seeded.organization.schemaName;
    await source.context.db.withSchema(schema).updateTable('video' as never).set({ reviewed_by_id: seeded.admin.id, caption: 'Leaves' } as never).execute();
    for (let i = 0; i < 4; i++) await target.context.db.insertInto('public.user').values({ email: `shift${i}@example.org` }).execute();

    const result = await importFromBuffer(target, await exportToBuffer(source, 'col', newer), {}, newer);
    const { rows } = await sql<{ email: string; caption: string }>`
      select u.email, v.caption from ${sql.table(`${result.organization.schemaName}.video`)} v join public."user" u on u.id = v.reviewed_by_id`.execute(target.context.db);
    assert.deepEqual(rows, [{ email: 'admin@col.example.org', caption: 'Leaves' }]);
  });
});
