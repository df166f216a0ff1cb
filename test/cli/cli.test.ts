import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { issueTokens } from '../../src/accounts/tokens.ts';
import { boot } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { migrations } from '../../src/migrations/index.ts';
import { runPlio } from '../support/cli.ts';
import { freshDatabase, ON_CITUS, TEST_DATABASE } from '../support/database.ts';

describe('the plio command line', () => {
  let env: Record<string, string>;
  let dataDir: string;
  let close: () => Promise<void> = async () => {};

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'plio-cli-'));
    env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    if (TEST_DATABASE === 'postgres') {
      const database = await freshDatabase();
      env.DATABASE_URL = database.url!;
      close = () => database.close();
    }
  });
  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const plio = (args: string[], input?: string) => runPlio(args, env, { input });

  it('creates an organization with its schema and primary domain, printing the row as JSON', async () => {
    const run = await plio(['org', 'create', '--name', 'Avanti Fellows', '--shortcode', 'af', '--schema-name', 'avantifellows', '--domain', 'plio.in/avantifellows']);
    assert.equal(run.code, 0, run.stderr);
    const row = JSON.parse(run.stdout);
    assert.equal(row.shortcode, 'af');
    assert.equal(row.schema_name, 'avantifellows');
    assert.match(row.api_key, /^[A-Za-z0-9]{20}$/);
    assert.equal(row.schema_version, migrations.tenant.length);
  });

  it('reports mistakes in one line with a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['org', 'create', '--name', 'Again', '--shortcode', 'af'], /^error: an organization with shortcode "af" already exists\n$/],
      [['org', 'create', '--name', 'Bad', '--shortcode', 'bad', '--schema-name', 'Bad"; drop'], /^error: invalid schema name .*lowercase letters.*\n$/],
      [['org', 'create', '--name', 'Bad', '--shortcode', 'bad', '--schema-name', 'pg_x'], /^error: invalid schema name "pg_x".*\n$/],
      [['org', 'delete', 'nope'], /^error: no organization with shortcode "nope"\n$/],
      [['org', 'rename-schema', 'nope', 'other'], /^error: no organization with shortcode "nope"\n$/],
      [['org', 'clone', 'nope', '--shortcode', 'x', '--name', 'X'], /^error: no organization with shortcode "nope"\n$/],
      [['domain', 'add', '--org', 'nope', '--domain', 'x.example'], /^error: no organization with shortcode "nope"\n$/],
      [['domain', 'add', '--org', 'af', '--domain', 'plio.in/avantifellows'], /^error: domain "plio.in\/avantifellows" is already in use\n$/],
      [['migrate', '--concurrency', 'zero'], /expected a positive integer/],
    ];
    for (const [args, expected] of cases) {
      const run = await plio(args);
      assert.notEqual(run.code, 0, args.join(' '));
      assert.match(run.stderr, expected, args.join(' '));
      assert.ok(!run.stderr.includes('    at '), `stack trace printed for ${args.join(' ')}`);
    }
  });

  it('stops with one line naming a bad environment variable', async () => {
    const saved = env;
    env = { ...env, PORT: 'eighty' };
    const run = await plio(['org', 'list']);
    env = saved;
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'error: PORT: expected a port number 0-65535, got "eighty"\n');
  });

  it('adds domains, lists organizations, renames and clones schemas', async () => {
    assert.equal((await plio(['domain', 'add', '--org', 'af', '--domain', 'af.example.org', '--primary'])).code, 0);
    assert.equal((await plio(['org', 'rename-schema', 'af', 'af_renamed'])).code, 0);
    const clone = await plio(['org', 'clone', 'af', '--shortcode', 'af2', '--name', 'AF copy']);
    assert.equal(clone.code, 0, clone.stderr);
    const list = await plio(['org', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    // On Citus a NODE column says where each schema lives.
    assert.match(lines[0]!, ON_CITUS ? /^SHORTCODE\s+NAME\s+SCHEMA\s+DOMAINS\s+VERSION\s+SIZE\s+NODE$/ : /^SHORTCODE\s+NAME\s+SCHEMA\s+DOMAINS\s+VERSION\s+SIZE$/);
    assert.match(lines.find((l) => l.startsWith('af '))!, new RegExp(String.raw`af\s+Avanti Fellows\s+af_renamed\s+af\.example\.org, plio\.in\/avantifellows\s+${migrations.tenant.length}\s+\d+`));
    assert.ok(lines.some((l) => l.startsWith('af2 ')));
    const json = JSON.parse((await plio(['org', 'list', '--json'])).stdout);
    assert.deepEqual(json.map((o: { shortcode: string }) => o.shortcode).sort(), ['af', 'af2']);
  });

  it('lists schemas and their tables as the walkthrough SQL shows them', async () => {
    const schemas = await plio(['schemas']);
    assert.ok(schemas.stdout.split('\n').includes('af_renamed'));
    assert.ok(schemas.stdout.split('\n').includes('public'));
    const tables = await plio(['schemas', '--tables']);
    const block = tables.stdout.split(/\n(?=\S)/).find((b) => b.startsWith('af_renamed\n'))!;
    assert.deepEqual(block.trim().split('\n').slice(1).map((l) => l.trim()), [
      'event', 'experiment', 'experiment_plio', 'image', 'item', 'model_has_tag', 'plio', 'plio_migration', 'question', 'session', 'session_answer', 'tag', 'video',
    ]);
  });

  it('migrates with a per-schema result, and does nothing the second time', async () => {
    const run = await plio(['migrate']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /0 migrated, 0 failed, 3 up to date/);
  });

  it('reports a schema that fails to migrate, exits non-zero, and resumes once it is fixed', async () => {
    // Make the clone's schema look unmigrated while its tables exist: its
    // first migration then fails there ("already exists") and nowhere else.
    const shell = (script: string) => plio(['shell'], script);
    const broken = await shell(`
      const org = await Organization.get('af2');
      await sql\`update public.organization set schema_version = 0 where id = \${org.id}\`.execute(db);
      await sql.raw(\`delete from "\${org.schemaName}".plio_migration\`).execute(db);
      console.log(org.schemaName);`);
    assert.equal(broken.code, 0, broken.stderr);
    const schema = broken.stdout.trim();
    const run = await plio(['migrate']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, new RegExp(`FAILED  ${schema}: .*already exists`));
    assert.match(run.stdout, /0 migrated, 1 failed, 2 up to date/);
    assert.match(run.stderr, new RegExp(`^error: migration failed in ${schema}; fix and rerun to resume\n$`));

    // the ledger lists the released migrations again, as the schema has them all
    const released = migrations.tenant.map((migration) => `('tenant', '${migration.name}')`).join(', ');
    const fixed = await shell(`
      const org = await Organization.get('af2');
      await sql.raw(\`insert into "\${org.schemaName}".plio_migration (migration_set, name) values ${released}\`).execute(db);`);
    assert.equal(fixed.code, 0, fixed.stderr);
    const rerun = await plio(['migrate', '--schema', schema]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`ok      ${schema}: nothing to apply\n1 migrated, 0 failed, 0 up to date`));
  });

  it('runs the walkthrough in plio shell', async () => {
    const script = [
      "const tenant = await Organization.create({ name: 'Shell Org', shortcode: 'shell' })",
      "await Domain.create({ domain: 'plio.in/shell', tenant, isPrimary: true })",
      "const rows = (await sql`select schema_name from information_schema.schemata`.execute(db)).rows",
      "console.log('HAS', rows.some((r) => r.schema_name === tenant.schemaName))",
    ].join('\n');
    const run = await plio(['shell'], `${script}\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /HAS true/);
  });

  it('deletes, with --drop-schema dropping the schema', async () => {
    const run = await plio(['org', 'delete', 'af2', '--drop-schema']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^deleted organization af2 and dropped schema \w+\n$/);
  });

  // Another process's change reaches a running server through NOTIFY; the
  // embedded database has no other process.
  if (TEST_DATABASE === 'postgres') it('reaches a running server: a domain added from the command line resolves there', async () => {
    const running = await boot(loadConfig({ DATABASE_URL: env.DATABASE_URL!, LOG_LEVEL: 'silent' }), { log: pino({ level: 'silent' }) });
    try {
      const whereIs = async () => {
        await running.context.directory.settled();
        return running.context.directory.byDomain('notified.example')?.shortcode;
      };
      assert.equal(await whereIs(), undefined);
      const run = await plio(['org', 'create', '--name', 'Notified', '--shortcode', 'notified', '--domain', 'notified.example']);
      assert.equal(run.code, 0, run.stderr);
      const deadline = Date.now() + 5000;
      while ((await whereIs()) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await whereIs(), 'notified');
    } finally {
      await running.close();
    }
  });

  if (TEST_DATABASE === 'postgres') it('reaches a running server: a user deactivated in plio shell loses their remembered token', async () => {
    const running = await boot(loadConfig({ DATABASE_URL: env.DATABASE_URL!, LOG_LEVEL: 'silent' }), { log: pino({ level: 'silent' }) });
    try {
      const { db, secretKey } = running.context;
      const user = await db.insertInto('public.user').values({ email: 'deactivated@example.org' }).returning('id').executeTakeFirstOrThrow();
      const { access_token: token } = await issueTokens(db, secretKey, user.id, null);
      const status = async () =>
        (await running.app.inject({ method: 'GET', url: '/api/v1/plios/', headers: { authorization: `Bearer ${token}` } })).statusCode;
      assert.equal(await status(), 200); // remembered from here on
      const run = await plio(
        ['shell'],
        `await sql\`update public.user set is_active = false where id = \${${user.id}}\`.execute(db);
        await credentialsChanged(db, [${user.id}]);`,
      );
      assert.equal(run.code, 0, run.stderr);
      const deadline = Date.now() + 5000;
      while ((await status()) === 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await status(), 401);
    } finally {
      await running.close();
    }
  });

  // Only the embedded database has a lock file; PostgreSQL serves many processes.
  if (TEST_DATABASE === 'embedded') it('refuses to open the embedded database another process holds', async () => {
    writeFileSync(join(dataDir, 'plio.lock'), String(process.pid));
    const run = await plio(['org', 'list']);
    rmSync(join(dataDir, 'plio.lock'));
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `error: the embedded database in ${dataDir} is in use by process ${process.pid}; stop it first, or set DATABASE_URL to use a PostgreSQL server\n`);
  });
});
