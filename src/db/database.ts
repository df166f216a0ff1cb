import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Config, DatabaseTimeouts } from '../config.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { NotificationListener, type ListenerStatus } from './listener.ts';
import { boundedPoolOptions } from './timeouts.ts';
import { SerializedPGliteDialect } from './pglite-driver.ts';
import { TenantPools, type PoolCounts } from './tenant-pools.ts';
import type { DB } from './schema.ts';

/** The one database handle of a process: a `pg` pool or the embedded PGlite. */
export interface Database {
  readonly kind: 'postgres' | 'embedded';
  /** Shared tables and work across schemas (provisioning, migrations, operator commands). */
  readonly db: Kysely<DB>;
  /**
   * The handle for one tenant's queries (`TenantScope` uses it). On
   * PostgreSQL these are the connections of the schema's share of the
   * tenants (see `TenantPools`); on the embedded database, `db`.
   */
  forSchema(schema: string): Kysely<DB>;
  /** Where the data lives, for log lines and errors (no password). */
  readonly description: string;
  /**
   * Calls `onMessage` for every NOTIFY on `channel` from any process.
   *
   * `onMissed` is called after the listening connection was lost and
   * re-established: notifications sent meanwhile may have been missed, so
   * the caller must forget whatever it derived from them (reload, clear).
   * Resolves once listening; a failing connection does not make it reject
   * but is retried, with backoff, until `close()`.
   *
   * The embedded database has no other process, so it never calls back.
   */
  listen(channel: string, onMessage: (payload: string, sender: number) => void, onMissed?: () => void): Promise<void>;
  /**
   * Holds a shared advisory lock on the listening session for as long as it
   * (or its reconnection) lives, and NOTIFYs from that session, so other
   * processes can match the backend pids in `pg_locks` with the senders of
   * their notifications (the directory's reload confirmations use it).
   * No-ops on the embedded database.
   */
  holdOnListener(key: readonly [number, number]): Promise<void>;
  notifyFromListener(channel: string, payload: string): Promise<void>;
  /** The connection pool's state now; `undefined` for the embedded database (one in-process handle, no pool). */
  poolStats(): PoolStats | undefined;
  /** The NOTIFY listener's connection; `undefined` for the embedded database (no other process to hear). */
  listenerStatus(): ListenerStatus | undefined;
  close(): Promise<void>;
}

/** Connections to PostgreSQL: the shared pool and every tenant share's, summed. */
export interface PoolStats {
  /** Open connections, idle or busy. */
  readonly total: number;
  readonly idle: number;
  /** Queries waiting for a connection. */
  readonly waiting: number;
  readonly max: number;
}

export interface OpenOptions {
  /**
   * Connections per pool on PostgreSQL: the shared pool and each tenant
   * share; defaults to a little over the core count.
   */
  poolSize?: number;
  /** Shares the tenants are divided into, each with its own connections (default 2). */
  tenantShares?: number;
  /** Distinct tenant schemas a connection serves before it is replaced (default {@link SCHEMAS_PER_CONNECTION}). */
  schemasPerConnection?: number;
  /** Open an in-memory embedded database (tests) instead of `config.dataDir`. */
  inMemory?: boolean;
  /** Bounds on waiting for the database (the server's); none when unset (operator commands, tests). */
  timeouts?: DatabaseTimeouts;
}

/**
 * Measured on PostgreSQL 15: a backend keeps ~110 kB of private memory for
 * each tenant schema whose content tables a request touched (bench/README.md,
 * "Many tenants"); 400 keeps a backend's own memory near 50 MB.
 */
export const SCHEMAS_PER_CONNECTION = 400;

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

/**
 * Opens the database the configuration names: PostgreSQL when
 * `DATABASE_URL` is set, otherwise the embedded database under `DATA_DIR`.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databaseListenUrl'>>,
  options: OpenOptions = {},
): Promise<Database> {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, options, config.databaseListenUrl)
    : openEmbedded(options.inMemory ? undefined : resolve(config.dataDir), options.timeouts);
}

/** `{1,2,NULL}` as numbers (int8 arrays carry no quotes or nesting here). */
function parseBigintArray(value: string): (number | null)[] {
  const body = value.slice(1, -1);
  return body === '' ? [] : body.split(',').map((item) => (item === 'NULL' ? null : Number(item)));
}

function openPostgres(url: string, options: OpenOptions, listenUrl = url): Database {
  // bigint keys fit in a JS number for any realistic row count; parse them as
  // numbers so both databases hand the same JSON to clients.
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8_OID) return (value: string) => Number(value);
      if (oid === INT8_ARRAY_OID) return parseBigintArray;
      return pg.types.getTypeParser(oid, format);
    }) as typeof pg.types.getTypeParser,
  };
  // The one place the connection settings are made: the shared pool and every tenant share use them.
  const poolConfig: pg.PoolConfig = {
    connectionString: url,
    max: options.poolSize ?? 4,
    types,
    // The shared pool's connections also reach every schema (provisioning,
    // migrations): recycled by age, so their catalog caches stay bounded too.
    maxLifetimeSeconds: 600,
    idleTimeoutMillis: 30_000,
    ...(options.timeouts && boundedPoolOptions(options.timeouts)),
  };
  const dialectConfig = { cursor: cursorWith(types) };
  const pool = new pg.Pool(poolConfig);
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on demand.
  });
  const tenantPools = new TenantPools(poolConfig, dialectConfig, {
    shares: options.tenantShares ?? 2,
    schemasPerConnection: options.schemasPerConnection ?? SCHEMAS_PER_CONNECTION,
  });
  const listener = new NotificationListener(
    // keepAlive: a connection that only listens never writes, so without
    // probes a silently dropped one would go unnoticed.
    () => new pg.Client({ connectionString: listenUrl, keepAlive: true, keepAliveInitialDelayMillis: 10_000 }),
  );
  const safe = new URL(url);
  safe.password = '';
  return {
    kind: 'postgres',
    db: new Kysely<DB>({ dialect: new PostgresDialect({ ...dialectConfig, pool }) }),
    forSchema: (schema) => tenantPools.forSchema(schema),
    description: `PostgreSQL at ${safe.host}${safe.pathname}`,
    listen: (channel, onMessage, onMissed) => listener.listen(channel, onMessage, onMissed),
    holdOnListener: (key) => listener.hold(key),
    notifyFromListener: (channel, payload) => listener.notify(channel, payload),
    poolStats: () => {
      const pools: readonly PoolCounts[] = [pool, ...tenantPools.pools];
      const sum = (count: (counts: PoolCounts) => number) => pools.reduce((total, counts) => total + count(counts), 0);
      return { total: sum((p) => p.totalCount), idle: sum((p) => p.idleCount), waiting: sum((p) => p.waitingCount), max: (poolConfig.max ?? 0) * pools.length };
    },
    listenerStatus: () => listener.status,
    async close() {
      await listener.close();
      await tenantPools.end();
      await pool.end();
    },
  };
}

/**
 * The cursor Kysely's `.stream()` reads through. Kysely creates it without a
 * config, so the pool's type parsers would not apply to streamed rows
 * (bigints would come back as strings): bind them here.
 */
function cursorWith(types: Cursor.CursorQueryConfig['types']) {
  return class TypedCursor<Row> extends Cursor<Row> {
    constructor(text: string, values?: unknown[]) {
      super(text, values, { types });
    }
  };
}

async function openEmbedded(dir: string | undefined, timeouts?: DatabaseTimeouts): Promise<Database> {
  const lock = dir ? DataDirLock.acquire(dir) : undefined;
  try {
    const pglite = await (await loadPGlite()).create(dir ? join(dir, 'pgdata') : undefined);
    return embedded(pglite, dir ? `embedded database in ${dir}` : 'in-memory embedded database', () => lock?.release(), timeouts);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/**
 * An in-memory embedded database from a PGlite instance or a dump of one
 * (`dumpDataDir`): tests start from a migrated dump in a fraction of the
 * time a new database takes.
 */
export async function openEmbeddedFrom(source: PGlite | Blob, timeouts?: DatabaseTimeouts): Promise<Database> {
  const pglite = source instanceof Blob ? await (await loadPGlite()).create({ loadDataDir: source }) : source;
  return embedded(pglite, 'in-memory embedded database', undefined, timeouts);
}

/** PGlite is loaded only when used: a PostgreSQL process never pays for it. */
async function loadPGlite(): Promise<typeof PGlite> {
  return (await import('@electric-sql/pglite')).PGlite;
}

/**
 * PGlite runs each query to its end on the event loop (it honours no
 * `statement_timeout`, and nothing else runs meanwhile): of the timeouts only
 * the wait for its one session applies.
 */
function embedded(pglite: PGlite, description: string, onClose?: () => void, timeouts?: DatabaseTimeouts): Database {
  const db = new Kysely<DB>({ dialect: new SerializedPGliteDialect(pglite, timeouts?.acquireMs) });
  return {
    kind: 'embedded',
    db,
    forSchema: () => db,
    description,
    async listen() {},
    async holdOnListener() {},
    async notifyFromListener() {},
    poolStats: () => undefined,
    listenerStatus: () => undefined,
    async close() {
      if (!pglite.closed) await pglite.close();
      onClose?.();
    },
  };
}
