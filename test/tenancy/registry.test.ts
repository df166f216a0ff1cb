import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { PlioError } from '../../src/errors.ts';
import { migrations } from '../../src/migrations/index.ts';
import { createTenancy } from '../../src/tenancy/tenancy.ts';
import { freshTenancy, schemaNames, tableNames } from '../support/tenancy.ts';

/** Asserts `promise` fails with the catalog error `code`. */
async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<PlioError> {
  const error = await promise.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PlioError, `expected a PlioError, got ${String(error)}`);
  assert.equal(error.code, code);
  if (message) assert.match(error.message, message);
  return error;
}

describe('the tenant registry', () => {
  let env: Awaited<ReturnType<typeof freshTenancy>>;
  const counts = async () => {
    const db = env.database.db;
    const orgs = await db.selectFrom('public.organization').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { organizations: Number(orgs.n), schemas: (await schemaNames(db)).length };
  };
  before(async () => {
    env = await freshTenancy();
  });
  after(() => env.close());

  describe('refuses bad schema names, creating nothing', () => {
    const bad: [string, RegExp][] = [
      ['af"; drop schema public cascade; --', /lowercase letters/],
      ["o'brien", /lowercase letters/],
      ['pg_tenant', /reserved by PostgreSQL/],
      ['a'.repeat(64), /longer than 63/],
      ['Avanti', /lowercase letters/],
      ['public; drop table organization', /lowercase letters/],
      ['1tenant', /not starting with a digit/],
      ['', /empty/],
      ['information_schema', /reserved/],
    ];
    for (const [name, reason] of bad) {
      it(`refuses ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…` : name)}`, async () => {
        const before = await counts();
        await refused(env.tenancy.organizations.create({ name: 'Bad', shortcode: 'bad', schemaName: name }), 'INVALID_SCHEMA_NAME', reason);
        assert.deepEqual(await counts(), before);
      });
    }
    it('accepts a 63-character name', async () => {
      const organization = await env.tenancy.organizations.create({ name: 'Long', shortcode: 'long', schemaName: 'a'.repeat(63) });
      assert.equal(organization.schemaName, 'a'.repeat(63));
    });
  });

  it('refuses a duplicate shortcode among live organizations, creating nothing', async () => {
    await env.tenancy.organizations.create({ name: 'Dup', shortcode: 'dup' });
    const before = await counts();
    await refused(env.tenancy.organizations.create({ name: 'Dup again', shortcode: 'dup' }), 'SHORTCODE_TAKEN', /"dup"/);
    assert.deepEqual(await counts(), before);
  });

  it('refuses a schema name already used, and one that exists without an organization', async () => {
    await env.tenancy.organizations.create({ name: 'Taken', shortcode: 'taken', schemaName: 'taken' });
    await refused(env.tenancy.organizations.create({ name: 'T2', shortcode: 't2', schemaName: 'taken' }), 'SCHEMA_NAME_TAKEN');
    await sql`create schema orphan`.execute(env.database.db);
    const before = await counts();
    await refused(env.tenancy.organizations.create({ name: 'T3', shortcode: 't3', schemaName: 'orphan' }), 'SCHEMA_NAME_TAKEN');
    assert.deepEqual(await counts(), before);
  });

  it('refuses bad shortcodes and names', async () => {
    await refused(env.tenancy.organizations.create({ name: 'X', shortcode: 'has space' }), 'INVALID_SHORTCODE');
    await refused(env.tenancy.organizations.create({ name: 'X', shortcode: '' }), 'INVALID_SHORTCODE');
    await refused(env.tenancy.organizations.create({ name: '  ', shortcode: 'blank' }), 'INVALID_NAME');
  });

  it('answers an unknown organization in every operation', async () => {
    const { organizations, domains } = env.tenancy;
    for (const attempt of [
      () => organizations.get('nope'),
      () => organizations.delete('nope'),
      () => organizations.renameSchema('nope', 'newname'),
      () => organizations.clone('nope', { name: 'N', shortcode: 'n2' }),
      () => domains.create({ domain: 'nope.example', tenant: 'nope' }),
    ]) {
      await refused(attempt(), 'ORGANIZATION_NOT_FOUND', /"nope"/);
    }
  });

  it('keeps domains unique and valid, with one primary per organization', async () => {
    const { organizations, domains } = env.tenancy;
    const org = await organizations.create({ name: 'Dom', shortcode: 'dom', domain: 'dom.example' });
    await refused(domains.create({ domain: 'DOM.example', tenant: org }), 'DOMAIN_TAKEN');
    for (const bad of ['not a domain', 'a/b/c', 'x.example/', '"quoted".example', 'x'.repeat(300)]) {
      await refused(domains.create({ domain: bad, tenant: org }), 'INVALID_DOMAIN');
    }
    await domains.create({ domain: 'dom.example/sub', tenant: org, isPrimary: true });
    await domains.create({ domain: 'other.example', tenant: org });
    const listed = await domains.list(org);
    assert.deepEqual(
      listed.map((d) => [d.domain, d.isPrimary]),
      [
        ['dom.example', false],
        ['dom.example/sub', true],
        ['other.example', false],
      ],
    );
  });

  it('rolls back organization, schema and domain together when the domain is taken', async () => {
    await env.tenancy.organizations.create({ name: 'Holder', shortcode: 'holder', domain: 'held.example' });
    const before = await counts();
    await refused(env.tenancy.organizations.create({ name: 'Late', shortcode: 'late', schemaName: 'late', domain: 'held.example' }), 'DOMAIN_TAKEN');
    assert.deepEqual(await counts(), before);
    assert.equal(await env.tenancy.organizations.findByShortcode('late'), undefined);
  });

  it('leaves no schema and no row when a tenant migration fails half-way', async () => {
    const broken = createTenancy(env.database.db, {
      shared: migrations.shared,
      tenant: [...migrations.tenant, { name: '9999-broken', sql: 'create table fine (id int); select 1 / 0' }],
    });
    const before = await counts();
    await assert.rejects(broken.organizations.create({ name: 'Broken', shortcode: 'broken', schemaName: 'broken' }), /division by zero/);
    assert.deepEqual(await counts(), before);
    assert.ok(!(await schemaNames(env.database.db)).includes('broken'));
  });

  it('soft-deletes: the shortcode and domains are released and the schema kept; --drop-schema drops it', async () => {
    const { organizations, domains } = env.tenancy;
    const first = await organizations.create({ name: 'Gone', shortcode: 'gone', domain: 'gone.example' });
    await organizations.delete('gone');
    assert.equal(await organizations.findByShortcode('gone'), undefined);
    assert.ok((await schemaNames(env.database.db)).includes(first.schemaName));
    const second = await organizations.create({ name: 'Gone again', shortcode: 'gone', domain: 'gone.example' });
    assert.notEqual(second.schemaName, first.schemaName);
    const dropped = await organizations.delete('gone', { dropSchema: true });
    assert.equal(dropped.schemaVersion, null);
    assert.ok(!(await schemaNames(env.database.db)).includes(second.schemaName));
    assert.equal((await domains.list()).some((d) => d.domain === 'gone.example'), false);
    await refused(organizations.delete('plio-public-missing'), 'ORGANIZATION_NOT_FOUND');
  });

  it('renames a schema, keeping its data, and refuses a bad or taken name', async () => {
    const { organizations } = env.tenancy;
    const org = await organizations.create({ name: 'Mover', shortcode: 'mover', schemaName: 'mover_old' });
    await env.database.db.withSchema('mover_old').insertInto('video').values({ url: 'https://youtu.be/x' }).execute();
    await refused(organizations.renameSchema('mover', 'Bad-Name'), 'INVALID_SCHEMA_NAME');
    await refused(organizations.renameSchema('mover', 'taken'), 'SCHEMA_NAME_TAKEN');
    const renamed = await organizations.renameSchema('mover', 'mover_new');
    assert.equal(renamed.id, org.id);
    assert.equal(renamed.schemaName, 'mover_new');
    const videos = await env.database.db.withSchema('mover_new').selectFrom('video').select('url').execute();
    assert.deepEqual(videos, [{ url: 'https://youtu.be/x' }]);
    assert.ok(!(await schemaNames(env.database.db)).includes('mover_old'));
  });

  it('clones a tenant, data included, with sequences moved past the copied keys', async () => {
    const { organizations } = env.tenancy;
    const source = await organizations.create({ name: 'Source', shortcode: 'source' });
    const db = env.database.db;
    const user = await db.insertInto('public.user').values({ email: 'creator@example.org' }).returning('id').executeTakeFirstOrThrow();
    const video = await db.withSchema(source.schemaName).insertInto('video').values({ url: 'https://youtu.be/v' }).returning('id').executeTakeFirstOrThrow();
    const plio = await db
      .withSchema(source.schemaName)
      .insertInto('plio')
      .values({ uuid: 'abcdefghij', video_id: video.id, created_by_id: user.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.withSchema(source.schemaName).insertInto('item').values({ plio_id: plio.id, time: 10 }).execute();

    const copy = await organizations.clone('source', { name: 'Copy', shortcode: 'copy' });
    assert.notEqual(copy.schemaName, source.schemaName);
    assert.deepEqual(await tableNames(db, copy.schemaName), await tableNames(db, source.schemaName));
    const copied = await db.withSchema(copy.schemaName).selectFrom('plio').select(['id', 'uuid', 'video_id']).execute();
    assert.deepEqual(copied, [{ id: plio.id, uuid: 'abcdefghij', video_id: video.id }]);
    const next = await db.withSchema(copy.schemaName).insertInto('plio').values({ uuid: 'second', created_by_id: user.id }).returning('id').executeTakeFirstOrThrow();
    assert.ok(next.id > plio.id);
    await refused(organizations.clone('source', { name: 'Dup', shortcode: 'copy' }), 'SHORTCODE_TAKEN');
  });

  it('refuses to delete or rename the public tenant', async () => {
    const { organizations } = env.tenancy;
    await organizations.create({ name: 'Plio', shortcode: 'plio', schemaName: 'public' });
    await refused(organizations.delete('plio'), 'PUBLIC_TENANT_IMMUTABLE');
    await refused(organizations.renameSchema('plio', 'elsewhere'), 'PUBLIC_TENANT_IMMUTABLE');
    await refused(organizations.create({ name: 'Plio 2', shortcode: 'plio2', schemaName: 'public' }), 'SCHEMA_NAME_TAKEN');
  });
});
