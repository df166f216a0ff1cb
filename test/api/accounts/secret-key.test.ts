import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Running } from '../../../src/boot.ts';
import { SECRET_KEY_FILE } from '../../../src/secret-key.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { TEST_DATABASE } from '../../support/database.ts';
import { secondInstance } from '../../support/instances.ts';
import { CLIENT, CLIENT_ENV } from './support.ts';

const SUPERUSER = { SUPERUSER_EMAIL: 'keyholder@example.org', SUPERUSER_PASSWORD: 'a password for the key test' };

describe(`the secret key when SECRET_KEY is unset (${TEST_DATABASE})`, () => {
  let dir: string;
  let app: TestApp;
  let second: Running;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plio-secret-'));
    // SECRET_KEY '' is unset (the test helpers set one otherwise).
    const env = { ...CLIENT_ENV, ...SUPERUSER, SECRET_KEY: '', DATA_DIR: dir };
    app = await startApp(env);
    second = await secondInstance(app, env);
  });
  after(async () => {
    await second.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is the same for every instance: a token minted by one works on the other', async () => {
    const granted = await app.request({
      method: 'POST',
      url: '/auth/token/',
      payload: { grant_type: 'password', username: SUPERUSER.SUPERUSER_EMAIL, password: SUPERUSER.SUPERUSER_PASSWORD, client_id: CLIENT.id, client_secret: CLIENT.secret },
    });
    assert.equal(granted.statusCode, 200);
    const token = granted.json().access_token;
    const me = await second.app.inject({ method: 'GET', url: `/api/v1/users/token/?token=${token}`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.statusCode, 200);
  });

  if (TEST_DATABASE === 'embedded') {
    it('is generated once into DATA_DIR, readable by its owner only', async () => {
      const path = join(dir, SECRET_KEY_FILE);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.match(await readFile(path, 'utf8'), /^[0-9a-f]{64}\n$/);
    });
  } else {
    it('is kept in the database in development, never in DATA_DIR', async () => {
      assert.equal(existsSync(join(dir, SECRET_KEY_FILE)), false);
      const rows = await app.context.db.selectFrom('public.installation_secret').select('name').execute();
      assert.deepEqual(rows.map((row) => row.name), ['development_secret_key']);
    });
  }
});

describe('SECRET_KEY in production', () => {
  it('stops `plio serve` on PostgreSQL with one clear line when missing', () => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'production', DATABASE_URL: 'postgres://127.0.0.1:9/plio', LOG_LEVEL: 'silent' };
    delete env.SECRET_KEY;
    const run = spawnSync(process.execPath, ['bin/plio.js', 'serve'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(run.status, 0);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /SECRET_KEY: required when DATABASE_URL is set and NODE_ENV=production/);
  });
});
