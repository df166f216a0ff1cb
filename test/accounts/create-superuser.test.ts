import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { openDatabase } from '../../src/db/database.ts';
import { freshDatabase, TEST_DATABASE } from '../support/database.ts';

/** `plio user create-superuser` against the embedded database (a temp DATA_DIR) or a fresh PostgreSQL database. */
describe('plio user create-superuser', () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  before(async () => {
    if (TEST_DATABASE === 'embedded') {
      const dir = await mkdtemp(join(tmpdir(), 'plio-cli-'));
      env = { DATA_DIR: dir };
      cleanup = () => rm(dir, { recursive: true, force: true });
    } else {
      const database = await freshDatabase();
      env = { DATABASE_URL: database.url! };
      cleanup = () => database.close();
    }
  });
  after(() => cleanup());

  const plio = (...args: string[]) => {
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const run = spawnSync(process.execPath, ['bin/plio.js', ...args], { env: { ...inherited, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8' });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  it('creates the superuser, then does nothing new when run again', async () => {
    const first = plio('user', 'create-superuser', '--email', 'admin@example.org', '--password', 's3cret');
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual({ ...JSON.parse(first.stdout), id: 0 }, { id: 0, email: 'admin@example.org', is_superuser: true, created: true });
    const second = plio('user', 'create-superuser', '--email', 'admin@example.org', '--password', 's3cret');
    assert.equal(second.status, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).created, false);
    assert.equal(JSON.parse(second.stdout).id, JSON.parse(first.stdout).id);

    const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR ?? '' });
    try {
      const rows = await database.db.selectFrom('public.user').selectAll().where('email', '=', 'admin@example.org').execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.is_superuser, true);
      assert.equal(await verifyPassword(rows[0]!.password, 's3cret'), true);
    } finally {
      await database.close();
    }
  });

  it('reports a bad email in one line with a non-zero exit', () => {
    const run = plio('user', 'create-superuser', '--email', 'not-an-email', '--password', 'x');
    assert.equal(run.status, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^error: invalid email/);
  });
});
