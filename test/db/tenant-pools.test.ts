/**
 * Tenant-affine connections: each schema's queries go to the connections of
 * its share, and a connection is replaced once its share has served more
 * distinct schemas than the bound.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { shareOf } from '../../src/db/tenant-pools.ts';
import { freshDatabase, TEST_DATABASE } from '../support/database.ts';
import { createScratchDatabase } from '../support/scratch-database.ts';

const backend = async (database: Database, schema: string) =>
  (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.forSchema(schema))).rows[0]!.pid;

describe('shares of the tenants', () => {
  it('are spread evenly and agreed by every process (a hash of the name)', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shareOf(`tenant${i}`, 4)]!++;
    for (const count of counts) assert.ok(count > 800 && count < 1200, `uneven shares: ${counts.join(', ')}`);
    assert.equal(shareOf('abcdefghij', 7), shareOf('abcdefghij', 7));
  });
});

describe('a tenant handle', () => {
  let database: Database;
  before(async () => {
    database = await freshDatabase();
  });
  after(() => database?.close());

  it("runs the tenant's queries, in and out of transactions", async () => {
    const db = database.forSchema('public');
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    assert.equal(rows[0]!.one, 1);
    const inTransaction = await db.transaction().execute(async (trx) => (await sql<{ two: number }>`select 2 as two`.execute(trx)).rows[0]!.two);
    assert.equal(inTransaction, 2);
  });
});

// Only PostgreSQL has connections to divide; the embedded database is one session.
if (TEST_DATABASE === 'postgres') describe('tenant-affine connections on PostgreSQL', () => {
  let database: Database;
  let drop: () => Promise<void>;
  const [inShare0, inShare1] = [0, 1].map((share) =>
    Array.from({ length: 200 }, (_, i) => `s${i}`).filter((schema) => shareOf(schema, 2) === share).slice(0, 5),
  ) as [string[], string[]];

  before(async () => {
    const scratch = await createScratchDatabase(process.env.TEST_DB_PREFIX ?? 'plio_test', process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    drop = scratch.drop;
    database = await openDatabase({ databaseUrl: scratch.url, dataDir: '' }, { poolSize: 1, tenantShares: 2, schemasPerConnection: 3 });
  });
  after(async () => {
    await database?.close();
    await drop?.();
  });

  it("counts every share's connections in the pool figures (/metrics, the console's health page)", async () => {
    assert.deepEqual(database.poolStats(), { total: 0, idle: 0, waiting: 0, max: 3 }); // the shared pool and two shares, one connection each
    await backend(database, inShare0[0]!);
    await backend(database, inShare1[0]!);
    assert.deepEqual(database.poolStats(), { total: 2, idle: 2, waiting: 0, max: 3 });
  });

  it("keeps a share's schemas on its own connections", async () => {
    const [a, b] = [await backend(database, inShare0[0]!), await backend(database, inShare1[0]!)];
    assert.notEqual(a, b);
    assert.equal(await backend(database, inShare0[0]!), a);
    assert.equal(await backend(database, inShare1[0]!), b);
  });

  it('replaces a connection after it served the bounded number of distinct schemas', async () => {
    const [a, b, c, d] = inShare0 as [string, string, string, string];
    const first = await backend(database, a);
    // a, b, c: three distinct schemas, the bound, on one connection (repeats are free)
    for (const schema of [b, a, c, c, a]) assert.equal(await backend(database, schema), first);
    // a fourth schema starts a new generation: the old connection is closed, not reused
    const second = await backend(database, d);
    assert.notEqual(second, first);
    assert.equal(await backend(database, a), second);
    // closing is asynchronous: give the backend a moment to exit
    let alive = true;
    for (let attempt = 0; alive && attempt < 50; attempt++) {
      const { rows } = await sql<{ alive: boolean }>`select exists (select 1 from pg_stat_activity where pid = ${first}) as alive`.execute(database.db);
      alive = rows[0]!.alive;
      if (alive) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(alive, false, 'the replaced backend was closed');
  });
});
