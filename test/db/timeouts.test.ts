/**
 * The database timeouts, on both databases: a caller waiting for a busy
 * database gives up after the acquire timeout, a statement that outlasts the
 * statement timeout is cancelled (PostgreSQL), and both count as an outage
 * (503) rather than a failure of ours.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { isDatabaseOutage } from '../../src/db/outage.ts';
import { freshDatabase, TEST_DATABASE } from '../support/database.ts';

const rejection = async (work: Promise<unknown>): Promise<{ error: unknown; ms: number }> => {
  const start = performance.now();
  try {
    await work;
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
  assert.fail('expected the query to fail');
};

describe('database timeouts', () => {
  let database: Database;
  before(async () => {
    // One connection, so that holding it makes the database busy for everyone else.
    database = await freshDatabase({ poolSize: 1, timeouts: { connectMs: 2000, statementMs: 300, acquireMs: 200 } });
  });
  after(() => database.close());

  it('gives up waiting for a busy database after the acquire timeout, and serves once it is free', async () => {
    let release!: () => void;
    const held = database.db.connection().execute(async (connection) => {
      await sql`select 1`.execute(connection);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { error, ms } = await rejection(sql`select 1`.execute(database.db));
    assert.ok(isDatabaseOutage(error), `an outage, not: ${String(error)}`);
    assert.ok(ms < 5000, `gave up after ${Math.round(ms)} ms`);
    release();
    await held;
    assert.deepEqual((await sql<{ one: number }>`select 1 as one`.execute(database.db)).rows, [{ one: 1 }]);
  });

  it('cancels a statement that outlasts the statement timeout, and the connection goes on', { skip: TEST_DATABASE === 'embedded' && 'the embedded database honours no statement_timeout: a query runs to its end on the event loop' }, async () => {
    const { error, ms } = await rejection(sql`select pg_sleep(5)`.execute(database.db));
    assert.equal((error as { code?: string }).code, '57014');
    assert.ok(isDatabaseOutage(error));
    assert.ok(ms < 4000, `cancelled after ${Math.round(ms)} ms`);
    assert.deepEqual((await sql<{ one: number }>`select 1 as one`.execute(database.db)).rows, [{ one: 1 }]);
  });
});

describe('what counts as a database outage', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it('the server unreachable, shutting down, overloaded or too slow', () => {
    for (const error of [
      coded('ECONNREFUSED'),
      coded('ECONNRESET'),
      coded('57P01', 'terminating connection due to administrator command'),
      coded('57P03', 'the database system is starting up'),
      coded('57014', 'canceling statement due to statement timeout'),
      coded('53300', 'sorry, too many clients already'),
      coded('08006'),
      coded('40001'),
      new Error('timeout exceeded when trying to connect'),
      new Error('timeout expired'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded waiting for the embedded database (200 ms)'),
    ]) {
      assert.ok(isDatabaseOutage(error), String(error));
    }
  });
  it('not the client\'s mistakes nor our own bugs', () => {
    for (const error of [coded('08P01', 'unsupported startup parameter: statement_timeout'), coded('28P01', 'password authentication failed for user "plio"'), coded('22P02'), coded('23505'), coded('23503'), coded('42P01'), new Error('boom'), 'text', null, undefined]) {
      assert.ok(!isDatabaseOutage(error), String(error));
    }
  });
});
