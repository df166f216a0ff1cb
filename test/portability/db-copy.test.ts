import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { boot } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrations } from '../../src/migrations/index.ts';
import { copyInstallation } from '../../src/portability/db-copy.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { databaseLabel, ON_CITUS, TEST_DATABASE } from '../support/database.ts';
import { apiAnswers, seedOrganization, signInAs } from '../support/portability.ts';
import { createCitusScratchDatabase, createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';
import { schemaNames } from '../support/tenancy.ts';

const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const citusUrl = process.env.TEST_CITUS_URL ?? 'postgres://postgres@127.0.0.1:5511/plio';

/**
 * This run's database copied into an empty plain PostgreSQL one; in the
 * Citus pass also the path off the embedded database onto a cluster: PGlite
 * copied into an empty Citus database.
 */
const copies: Array<[from: 'embedded' | 'postgres', to: 'postgres' | 'citus']> = ON_CITUS
  ? [['postgres', 'postgres'], ['embedded', 'citus']]
  : [[TEST_DATABASE, 'postgres']];

/** Row counts of every table of every schema (not an extension's own): what "the source is unchanged" and "everything arrived" compare. */
async function contents(db: Database['db']) {
  const { rows } = await sql<{ schema: string; table: string }>`
    select n.nspname as schema, c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
      and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e') order by 1, 2`.execute(db);
  const counts: Record<string, number> = {};
  for (const { schema, table } of rows) {
    const { rows: n } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.${table}`)}`.execute(db);
    counts[`${schema}.${table}`] = n[0]!.n;
  }
  return counts;
}

for (const [from, to] of copies) describe(`plio db copy: ${databaseLabel(from)} → an empty ${to === 'citus' ? 'Citus' : 'PostgreSQL'} database`, () => {
  let source: TestApp;
  let media: string;
  let seeded: Awaited<ReturnType<typeof seedOrganization>>;
  const scratches: ScratchDatabase[] = [];
  const newTarget = async () => {
    const prefix = process.env.TEST_DB_PREFIX ?? 'plio_test';
    const scratch = to === 'citus' ? await createCitusScratchDatabase(prefix, citusUrl) : await createScratchDatabase(prefix, adminUrl);
    scratches.push(scratch);
    return openDatabase({ databaseUrl: scratch.url, dataDir: '' }, { poolSize: 2 });
  };

  before(async () => {
    media = mkdtempSync(join(tmpdir(), 'plio-port-copy-'));
    source = await startApp({ MEDIA_ROOT: media }, { databaseKind: from });
    seeded = await seedOrganization(source, 'af');
    await seedOrganization(source, 'second');
  });
  after(async () => {
    await source?.close();
    for (const scratch of scratches) await scratch.drop();
    rmSync(media, { recursive: true, force: true });
  });

  it('copies every schema and row, leaves the source unchanged, and the copy answers the API as the source did', async () => {
    const answersBefore = await apiAnswers(source, await signInAs(source, 'admin@af.example.org'), 'af', seeded.plios);
    const sourceBefore = await contents(source.context.db);
    const target = await newTarget();
    const progress: string[] = [];
    const result = await copyInstallation(source.context.database, target, { migrations, onProgress: (done, total, schema) => progress.push(`${done}/${total} ${schema}`) });
    assert.equal(result.schemas, 3);
    assert.equal(result.resumed, 0);
    assert.deepEqual(progress.map((p) => p.split(' ')[0]), ['1/3', '2/3', '3/3']);
    assert.deepEqual(await contents(source.context.db), sourceBefore);
    assert.deepEqual(await contents(target.db), sourceBefore);
    if (to === 'citus') {
      // A Citus installation, not a copy on the coordinator alone: tenant schemas distributed, shared tables on every node.
      const { rows: schemas } = await sql<{ schema: string }>`select schema_name::text as schema from citus_schemas order by 1`.execute(target.db);
      assert.deepEqual(schemas.map((row) => row.schema), (await source.context.db.selectFrom('public.organization').select('schema_name').where('schema_name', '<>', 'public').orderBy('schema_name').execute()).map((row) => row.schema_name));
      const { rows: reference } = await sql<{ table: string }>`select logicalrelid::text as table from pg_dist_partition where partmethod = 'n' and repmodel = 't' order by 1`.execute(target.db);
      assert.deepEqual(reference.map((row) => row.table), ['"user"', 'organization', 'role']);
    }

    const copy = await boot(loadConfig({ LOG_LEVEL: 'silent', MEDIA_ROOT: media }), { database: target, log: pino({ level: 'silent' }) });
    try {
      const answers = await apiAnswers({ request: (o) => copy.app.inject(o) }, await signInAs(copy, 'admin@af.example.org'), 'af', seeded.plios);
      assert.deepEqual(answers, answersBefore);
      // Sequences are past the copied ids: a new user and a new plio get fresh ids.
      const user = await copy.context.db.insertInto('public.user').values({ email: 'new@example.org' }).returning('id').executeTakeFirstOrThrow();
      const maxUser = await source.context.db.selectFrom('public.user').select(sql<number>`max(id)`.as('max')).executeTakeFirstOrThrow();
      assert.ok(user.id > maxUser.max);
    } finally {
      await copy.close();
      await target.close();
    }
  });

  it('refuses a target that is not empty, in one line', async () => {
    const target = await newTarget();
    try {
      await sql`create table something (id int)`.execute(target.db);
      await assert.rejects(copyInstallation(source.context.database, target, { migrations }), {
        code: 'COPY_TARGET_NOT_EMPTY',
        message: `${target.description} is not empty; plio db copy only copies into an empty database`,
      });
    } finally {
      await target.close();
    }
  });

  it('resumes after an interruption, skipping the schemas already committed', async () => {
    const target = await newTarget();
    try {
      const emptySchemas = await schemaNames(target.db); // public, and on Citus the extension's own
      const interrupted = copyInstallation(source.context.database, target, {
        migrations,
        onProgress: (done) => {
          if (done === 2) throw new Error('connection lost');
        },
      });
      await assert.rejects(interrupted, /connection lost/);
      const created = (await schemaNames(target.db)).filter((schema) => !emptySchemas.includes(schema));
      assert.equal(created.length, 1, `public and one tenant copied, not ${created.join(', ')}`);

      const result = await copyInstallation(source.context.database, target, { migrations });
      assert.equal(result.resumed, 2);
      assert.deepEqual(await contents(target.db), await contents(source.context.db));
    } finally {
      await target.close();
    }
  });
});
