/**
 * The superuser named by SUPERUSER_EMAIL is created at boot only if no user
 * has that email; an existing user is never promoted by boot (SPEC section
 * 5, issue 9 finding 2). `plio user create-superuser` promotes deliberately
 * (test/accounts/create-superuser.test.ts).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { issueTokens } from '../../src/accounts/tokens.ts';
import { boot } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { TEST_SECRET_KEY } from '../support/app.ts';
import { freshDatabase } from '../support/database.ts';

/** Boots on `database` with `env`, keeping the log lines at warn and above. */
async function bootWith(database: Database, env: Record<string, string>) {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const running = await boot(loadConfig({ SECRET_KEY: TEST_SECRET_KEY, ...env }), { database, log: pino({ level: 'warn' }, sink) });
  return { running, lines };
}

const inject = (running: Awaited<ReturnType<typeof boot>>, method: 'GET' | 'PATCH', url: string, token: string, payload?: object) =>
  running.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload && { payload }) });

describe('SUPERUSER_EMAIL at boot', () => {
  let database: Database;
  before(async () => {
    database = await freshDatabase();
  });
  after(() => database.close());

  it('creates the superuser when no user has the email, and leaves it alone on the next boot', async () => {
    const env = { SUPERUSER_EMAIL: 'root@example.org', SUPERUSER_PASSWORD: 'first' };
    const first = await bootWith(database, env);
    await first.running.close();
    const created = await database.db.selectFrom('public.user').selectAll().where('email', '=', 'root@example.org').executeTakeFirstOrThrow();
    assert.equal(created.is_superuser, true);
    assert.equal(await verifyPassword(created.password, 'first'), true);

    const second = await bootWith(database, { ...env, SUPERUSER_PASSWORD: 'changed' });
    await second.running.close();
    assert.deepEqual(second.lines, []);
    const after = await database.db.selectFrom('public.user').selectAll().where('email', '=', 'root@example.org').execute();
    assert.equal(after.length, 1);
    assert.equal(await verifyPassword(after[0]!.password, 'first'), true, 'boot changes no existing user, not even the password');
  });

  it('never promotes a user who set their own email to SUPERUSER_EMAIL (nor their token); one warning, and the boot goes on', async () => {
    // a user signs up, then sets their own email to the one the operator will configure
    const plain = await bootWith(database, {});
    const user = await database.db.insertInto('public.user').values({ mobile: '+919876543210' }).returning('id').executeTakeFirstOrThrow();
    const token = (await issueTokens(database.db, plain.running.context.secretKey, user.id, null)).access_token;
    const changed = await inject(plain.running, 'PATCH', `/api/v1/users/${user.id}/`, token, { email: 'boss@example.org' });
    assert.equal(changed.statusCode, 200, changed.body);
    await plain.running.close();

    const booted = await bootWith(database, { SUPERUSER_EMAIL: 'boss@example.org', SUPERUSER_PASSWORD: 'operator' });
    try {
      const row = await database.db.selectFrom('public.user').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(row.is_superuser, false);
      assert.equal(row.password, null, 'no password set on the user either');
      assert.equal((await database.db.selectFrom('public.user').select('id').where('email', '=', 'boss@example.org').execute()).length, 1, 'no second user either');
      assert.equal((await inject(booted.running, 'GET', '/api/v1/organizations/', token)).statusCode, 403, 'the old token is no superuser token');
      assert.equal((await booted.running.app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'the server runs');
      assert.equal(booted.lines.length, 1);
      assert.equal(booted.lines[0]!.level, 40);
      assert.match(booted.lines[0]!.msg, /SUPERUSER_EMAIL boss@example\.org belongs to an existing user \(id \d+\).*plio user create-superuser/);
    } finally {
      await booted.running.close();
    }
  });
});
