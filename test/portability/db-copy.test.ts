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
import { TEST_DATABASE } from '../support/database.ts';
import { apiAnswers, seedOrganization, signInAs } from '../support/portability.ts';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.ts';
import { schemaNames } from '../support/tenancy.ts';

const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Row counts of every table of every schema: what "the source is unchanged" and "everything arrived" compare. */
async function contents(db: Database['db']) {
  const { rows } = await sql<{ schema: string; table: string }>`
    select n.nspname as schema, c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%' order by 1, 2`.execute(db);
  const counts: Record<string, number> = {};
  for (const { schema, table } of rows) {
    const { rows: n } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.${table}`)}`.execute(db);
    counts[`${schema}.${table}`] = n[0]!.n;
  }
  return counts;
}

describe(`plio db copy: ${TEST_DATABASE} → an empty PostgreSQL database`, () => {
  let source: TestApp;
  let media: string;
  let seeded: Awaited<ReturnType<typeof seedOrganization>>;
  const scratches: ScratchDatabase[] = [];
  const newTarget = async () => {
    const scratch = await createScratchDatabase(process.env.TEST_DB_PREFIX ?? 'plio_test', adminUrl);
    scratches.push(scratch);
    return openDatabase({ databaseUrl: scratch.url, dataDir: '' }, { poolSize: 2 });
  };

  before(async () => {
    media = mkdtempSync(join(tmpdir(), 'plio-port-copy-'));
    source = await startApp({ MEDIA_ROOT: media });
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
      const interrupted = copyInstallation(source.context.database, target, {
        migrations,
        onProgress: (done) => {
          if (done === 2) throw new Error('connection lost');
        },
      });
      await assert.rejects(interrupted, /connection lost/);
      assert.equal((await schemaNames(target.db)).filter((s) => !s.startsWith('pg_') && s !== 'information_schema').length, 2, 'public and one tenant');

      const result = await copyInstallation(source.context.database, target, { migrations });
      assert.equal(result.resumed, 2);
      assert.deepEqual(await contents(target.db), await contents(source.context.db));
    } finally {
      await target.close();
    }
  });
});
