import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { DatabaseTimeouts } from '../../src/config.ts';
import { openDatabase, openEmbeddedFrom, type Database } from '../../src/db/database.ts';
import { migrations } from '../../src/migrations/index.ts';
import { createTenancy } from '../../src/tenancy/tenancy.ts';
import pg from 'pg';
import { createCitusScratchDatabase, createScratchDatabase, type ScratchOptions } from './scratch-database.ts';

/**
 * Which kind of database this run tests against (set by scripts/test.mjs):
 * a Citus cluster is a PostgreSQL server, so it is `postgres` here too, and
 * `ON_CITUS` tells it apart.
 */
export const TEST_DATABASE = process.env.TEST_DATABASE === 'postgres' || process.env.TEST_DATABASE === 'citus' ? 'postgres' : 'embedded';

/** The other kind, for tests that move data between the two (both run in either pass). */
export const OTHER_DATABASE = TEST_DATABASE === 'postgres' ? 'embedded' : 'postgres';

/** The run is on a local Citus cluster (`--db citus`): `TEST_CITUS_URL` reaches its coordinator. */
export const ON_CITUS = process.env.TEST_DATABASE === 'citus';

/** What a test title calls a database of `kind` in this run (a `postgres` one is the Citus cluster in the Citus pass). */
export function databaseLabel(kind: Database['kind']): string {
  return kind === 'postgres' && ON_CITUS ? 'citus' : kind;
}

const adminUrl = ON_CITUS
  ? (process.env.TEST_CITUS_URL ?? 'postgres://postgres@127.0.0.1:5511/plio')
  : (process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');

/**
 * A fresh database for one test file, with every migration applied to
 * public: an in-memory PGlite, or a new PostgreSQL database (on Citus: on
 * every node of the cluster), dropped again on close; the runner drops
 * leftovers. `kind` defaults to this run's database.
 */
export async function freshDatabase(
  options: { poolSize?: number; kind?: Database['kind']; timeouts?: DatabaseTimeouts } = {},
): Promise<Database & { url?: string }> {
  if ((options.kind ?? TEST_DATABASE) === 'embedded') return openEmbeddedFrom(await migratedSnapshot(), options.timeouts);
  const prefix = process.env.TEST_DB_PREFIX ?? 'plio_test';
  const scratch = await createServerDatabase(prefix, { template: await migratedTemplate(prefix) });
  const database = await openDatabase({ databaseUrl: scratch.url, dataDir: '' }, { poolSize: options.poolSize ?? 8, timeouts: options.timeouts });
  return {
    ...database,
    url: scratch.url,
    async close() {
      await database.close();
      await scratch.drop();
    },
  };
}

const createServerDatabase = (prefix: string, options?: ScratchOptions) =>
  ON_CITUS ? createCitusScratchDatabase(prefix, adminUrl, options) : createScratchDatabase(prefix, adminUrl, options);

let template: Promise<string> | undefined;

/**
 * The name of this run's migrated database on the server (on Citus: on
 * every node), which test files' databases are copies of: copying takes
 * ~0.3 s on the local Citus cluster where creating the extension on every
 * node, adding the workers and migrating took ~1.3 s. The first file to ask
 * makes it while holding an advisory lock the others wait on. Keyed by the
 * migrations, as the embedded snapshot is, and dropped with the run's other
 * databases.
 */
function migratedTemplate(prefix: string): Promise<string> {
  template ??= (async () => {
    const name = `${prefix}_template_${migrationsKey()}`;
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query('select pg_advisory_lock(hashtext($1))', [name]);
      const { rows } = await client.query<{ datallowconn: boolean }>('select datallowconn from pg_database where datname = $1', [name]);
      if (rows[0]?.datallowconn === false) return name; // made and sealed by another file
      const scratch = await createServerDatabase(prefix, { name });
      await migrateAt(scratch.url); // without any test's timeouts (slower on Citus)
      await scratch.seal();
      return name;
    } finally {
      await client.end(); // releases the lock with the session
    }
  })();
  return template;
}

/** What the migrated snapshot and template are keyed by: the migrations and the PGlite build. */
function migrationsKey(): string {
  return createHash('sha256')
    .update(JSON.stringify(migrations))
    .update(readFileSync(join('node_modules', '@electric-sql', 'pglite', 'package.json')))
    .digest('hex')
    .slice(0, 16);
}

/**
 * A dump of a migrated embedded database, made once and reused by every test
 * file: loading it takes a fraction of a second where creating and migrating
 * a new PGlite takes seconds. Keyed by the migrations, so a changed
 * migration makes a new one.
 */
async function migratedSnapshot(): Promise<Blob> {
  const key = migrationsKey();
  const dir = join('node_modules', '.cache', 'plio-test');
  const path = join(dir, `pglite-${key}.tar`);
  if (!existsSync(path)) {
    const pglite = await PGlite.create();
    const database = await openEmbeddedFrom(pglite);
    await migrate(database);
    // Migrations commit without waiting for the WAL flush, and PGlite has no
    // WAL writer to flush it later: without a checkpoint the dump would miss them.
    await pglite.exec('checkpoint');
    const dump = await pglite.dumpDataDir('none');
    await database.close();
    mkdirSync(dir, { recursive: true });
    const temporary = `${path}.${process.pid}`;
    writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
    renameSync(temporary, path); // atomic: a concurrent test file sees all of it or none
  }
  return new Blob([readFileSync(path)]);
}

/** Migrates the server database at `url` through a pool of its own, closed afterwards. */
export async function migrateAt(url: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: url, dataDir: '' }, { poolSize: 2 });
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
}

async function migrate(database: Database): Promise<void> {
  const report = await createTenancy(database.db, migrations).migrator.run();
  if (report.failed.length > 0) throw new Error(`migrating the test database failed: ${report.failed[0]!.error}`);
}
