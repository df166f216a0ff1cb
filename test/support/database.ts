import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';

/** Which database this run tests against: set by scripts/test.mjs. */
export const TEST_DATABASE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'embedded';

const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh, empty database for one test file: an in-memory PGlite, or a new
 * PostgreSQL database (dropped again on close; the runner drops leftovers).
 */
export async function freshDatabase(options: { poolSize?: number } = {}): Promise<Database & { url?: string }> {
  if (TEST_DATABASE === 'embedded') return openDatabase({ databaseUrl: undefined, dataDir: '' }, { inMemory: true });
  const name = `${process.env.TEST_DB_PREFIX ?? 'plio_test'}_${randomBytes(4).toString('hex')}`;
  await admin(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: '' }, { poolSize: options.poolSize ?? 8 });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      await admin(`drop database if exists "${name}" with (force)`);
    },
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
