import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import { startApp } from '../support/app.ts';
import { freshDatabase, TEST_DATABASE } from '../support/database.ts';
import { runPlio } from '../support/cli.ts';
import { exportToBuffer, seedLargePlio } from '../support/portability.ts';
import { schemaNames } from '../support/tenancy.ts';

/**
 * `plio org import` and `plio org export` as an operator runs them, on a
 * data directory (embedded) or a PostgreSQL database of their own, including
 * an import killed with SIGKILL halfway through its load.
 */
describe('plio org import and export on the command line', () => {
  let dir: string;
  let env: Record<string, string>;
  let archivePath: string;
  let rows: number;
  let closeTarget: () => Promise<void> = async () => {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plio-port-cli-'));
    env = { DATA_DIR: join(dir, 'data'), MEDIA_ROOT: join(dir, 'media'), LOG_LEVEL: 'silent' };
    if (TEST_DATABASE === 'postgres') {
      const database = await freshDatabase();
      env.DATABASE_URL = database.url!;
      closeTarget = () => database.close();
    }
    // An organization big enough that loading it takes a while: ~70,000 rows.
    const source = await startApp();
    try {
      const org = await source.context.tenancy.organizations.create({ name: 'Big', shortcode: 'big' });
      const creator = await source.context.db.insertInto('public.user').values({ email: 'creator@big.example.org' }).returning('id').executeTakeFirstOrThrow();
      await seedLargePlio(source.context.db, org.schemaName, { creatorId: creator.id, learners: 2000, label: 'kill' });
      const archive = await exportToBuffer(source, 'big');
      archivePath = join(dir, 'big.plio.tar.gz');
      writeFileSync(archivePath, archive);
      const counted = await sql<{ n: number }>`select ((select count(*) from ${sql.table(`${org.schemaName}.session_answer`)}) + (select count(*) from ${sql.table(`${org.schemaName}.event`)}))::int as n`.execute(source.context.db);
      rows = counted.rows[0]!.n;
    } finally {
      await source.close();
    }
    assert.equal((await plio(['org', 'list'])).code, 0); // creates and migrates the target
  });
  after(async () => {
    await closeTarget();
    rmSync(dir, { recursive: true, force: true });
  });

  const plio = (args: string[], onStderr?: (text: string, kill: () => void) => void) => runPlio(args, env, { onStderr });

  /** The target's organizations, schemas and users, read in this process once no command holds the database. */
  const state = async () => {
    const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR! }, { poolSize: 1 });
    try {
      const db = database.db;
      return {
        schemas: await schemaNames(db),
        organizations: await db.selectFrom('public.organization').select(['shortcode', 'schema_name']).orderBy('id').execute(),
        users: Number((await db.selectFrom('public.user').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n),
      };
    } finally {
      await database.close();
    }
  };

  it('leaves nothing behind when the import is killed with SIGKILL halfway through loading', async () => {
    const before = await state();
    const run = await plio(['org', 'import', archivePath], (stderr, kill) => {
      if (/importing: [4-9]0%/.test(stderr)) kill();
    });
    assert.equal(run.signal, 'SIGKILL', `the import ended on its own: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /importing: 40%/);
    assert.deepEqual(await state(), before);

    // The installation is intact: the same import then completes.
    const again = await plio(['org', 'import', archivePath]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^imported big \(schema [a-z]{10}, version \d+\): \d+ rows, 0 users matched, 2001 created, 0 media files\n$/);
    const after = await state();
    assert.equal(after.users, before.users + 2001);
    assert.deepEqual(after.organizations.map((o) => o.shortcode), [...before.organizations.map((o) => o.shortcode), 'big']);
  });

  it('exports to a file that standard tools read, and refuses mistakes in one line', async () => {
    const out = join(dir, 'again.plio.tar.gz');
    const run = await plio(['org', 'export', 'big', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^exported big to .*again\.plio\.tar\.gz: \d+ rows in \d+ tables, 2001 users, 0 memberships, 0 media files/);
    const listing = spawnSync('tar', ['-tzf', out], { encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    const names = listing.stdout.trim().split('\n');
    assert.equal(names[0], 'organization.json');
    assert.equal(names.at(-1), 'manifest.json');
    assert.ok(names.includes('tables/session_answer/00001.jsonl'));
    const manifest = JSON.parse(spawnSync('tar', ['-xzOf', out, 'manifest.json'], { encoding: 'utf8' }).stdout);
    const answers = manifest.tables.find((t: { name: string }) => t.name === 'session_answer');
    const events = manifest.tables.find((t: { name: string }) => t.name === 'event');
    assert.equal(answers.rows + events.rows, rows);

    const missing = join(dir, 'nope.plio.tar.gz');
    const cases: [string[], RegExp][] = [
      [['org', 'export', 'nope', '--out', missing], /^error: no organization with shortcode "nope"\n$/],
      [['org', 'import', archivePath], /^error: an organization with shortcode "big" already exists\n$/],
      [['org', 'import', join(dir, 'no-such-file')], /^error: .*no-such-file.*\n$/],
      [['org', 'import', fileURLToPath(import.meta.url)], /^error: not a usable Plio organization archive: not a gzip-compressed file; nothing was imported\n$/],
    ];
    for (const [args, expected] of cases) {
      const failed = await plio(args);
      assert.notEqual(failed.code, 0, args.join(' '));
      assert.match(failed.stderr, expected, args.join(' '));
      assert.ok(!failed.stderr.includes('    at '), `stack trace printed for ${args.join(' ')}`);
    }
    assert.ok(!existsSync(missing) && !existsSync(`${missing}.partial`), 'a failed export leaves no file');
  });
});
