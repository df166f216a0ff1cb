import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { keyedHashesAndE164Mobiles } from '../../src/migrations/shared/0003-keyed-hashes-and-e164-mobiles.ts';
import { freshDatabase } from '../support/database.ts';

/** Rows as the release before 0003 left them, then 0003 run over them. */
describe('shared migration 0003: keyed hashes and E.164 mobiles', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const stored: Record<string, string> = {
    '+919876543210': '+919876543210',
    '919876543211': '+919876543211',
    '00919876543212': '+919876543212',
    '09876543213': '+919876543213',
    '9876543214': '+919876543214',
    '+91 98765-43215': '+919876543215',
    '+9109876543216': '+919876543216',
    '0014155552671': '+14155552671',
    '+14155552672': '+14155552672',
    '4155552673': '4155552673', // no country SQL can tell: left as it was
  };

  before(async () => {
    database = await freshDatabase();
    const { db } = database;
    // The migration already ran on this fresh database: undo its table and run it again over old rows.
    await sql`drop table public.installation_secret`.execute(db);
    const users = await db
      .insertInto('public.user')
      .values(Object.keys(stored).map((mobile) => ({ mobile })))
      .returning('id')
      .execute();
    const access = await db.insertInto('public.oauth_access_token').values({ token_hash: 'a'.repeat(64), user_id: users[0]!.id, expires_at: new Date(Date.now() + 3600_000) }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('public.oauth_refresh_token').values({ token_hash: 'b'.repeat(64), user_id: users[0]!.id, access_token_id: access.id, expires_at: new Date(Date.now() + 3600_000) }).execute();
    await db.insertInto('public.one_time_password').values({ mobile: '+919876543210', otp_hash: 'c'.repeat(64), expires_at: new Date(Date.now() + 300_000), updated_at: new Date() }).execute();
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('search_path', 'public', true)`.execute(trx);
      await sql.raw(keyedHashesAndE164Mobiles.sql).execute(trx);
    });
  });
  after(() => database.close());

  it('writes the mobile numbers Plio has seen in E.164', async () => {
    const rows = await database.db.selectFrom('public.user').select('mobile').orderBy('id').execute();
    assert.deepEqual(rows.map((row) => row.mobile), Object.values(stored));
  });

  it('drops the unkeyed token and OTP hashes: everyone signs in once more', async () => {
    for (const table of ['public.oauth_access_token', 'public.oauth_refresh_token', 'public.one_time_password'] as const) {
      const { count } = await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      assert.equal(Number(count), 0, table);
    }
  });
});
