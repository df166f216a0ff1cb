import { Kysely, PostgresDialect, type KyselyPlugin, type PostgresDialectConfig, type PostgresPool } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

/** A pool's connection counts, as `pg.Pool` names them. */
export type PoolCounts = Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>;

/**
 * A `pg` pool whose connections retire once the pool has served a bounded
 * number of distinct schemas since they opened.
 *
 * A PostgreSQL backend keeps the catalog entries and plans of every relation
 * it has opened: about 100 kB for each tenant schema whose tables a request
 * touched, never given back. A connection that serves every one of 10,000
 * tenants grows toward a gigabyte; recycling it by age alone bounds nothing
 * when the load is high. Here the pool counts the distinct schemas queried
 * through it in the current generation; when the count would pass
 * `maxSchemas`, a new generation starts, and every connection opened before
 * is closed when next released or acquired. So no connection has served
 * more than `maxSchemas` schemas (plus the one in flight when the
 * generation turned).
 */
export class SchemaBoundedPool implements PostgresPool, PoolCounts {
  readonly #pool: pg.Pool;
  readonly #maxSchemas: number;
  #generation = 0;
  #schemas = new Set<string>();
  /** The generation each connection was opened in. */
  readonly #openedIn = new WeakMap<pg.ClientBase, number>();

  constructor(config: pg.PoolConfig, maxSchemas: number) {
    this.#maxSchemas = maxSchemas;
    this.#pool = new pg.Pool(config);
    this.#pool.on('connect', (client) => this.#openedIn.set(client, this.#generation));
    this.#pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it on demand.
    });
  }

  /** What Kysely's query cancellation opens its control connection with. */
  get options(): pg.PoolConfig {
    return this.#pool.options;
  }

  /** Notes that a query for `schema` is about to run on one of these connections. */
  noteSchema(schema: string): void {
    if (this.#schemas.has(schema)) return;
    if (this.#schemas.size >= this.#maxSchemas) {
      this.#generation++;
      this.#schemas = new Set();
    }
    this.#schemas.add(schema);
  }

  async connect(): Promise<pg.PoolClient> {
    for (;;) {
      const client = await this.#pool.connect();
      if (this.#retired(client)) {
        client.release(true);
        continue;
      }
      // pg-pool hands out a fresh `release` with every acquisition: wrap this one.
      const release = client.release;
      client.release = (destroy?: boolean | Error) => release(destroy || this.#retired(client) || undefined);
      return client;
    }
  }

  get totalCount(): number {
    return this.#pool.totalCount;
  }

  get idleCount(): number {
    return this.#pool.idleCount;
  }

  get waitingCount(): number {
    return this.#pool.waitingCount;
  }

  end(): Promise<void> {
    return this.#pool.end();
  }

  #retired(client: pg.ClientBase): boolean {
    return (this.#openedIn.get(client) ?? this.#generation) < this.#generation;
  }
}

/** Tells the pool which schema the next query of this handle is for. */
class NoteSchemaPlugin implements KyselyPlugin {
  constructor(
    private readonly pool: SchemaBoundedPool,
    private readonly schema: string,
  ) {}

  transformQuery: KyselyPlugin['transformQuery'] = (args) => {
    this.pool.noteSchema(this.schema);
    return args.node;
  };

  transformResult: KyselyPlugin['transformResult'] = async (args) => args.result;
}

export interface TenantPoolsOptions {
  /** How many shares the tenants are divided into; each share has its own connections. */
  shares: number;
  /** Distinct schemas a connection may serve before it is replaced. */
  schemasPerConnection: number;
}

/**
 * Tenant-affine connections: the tenants are divided into `shares` by a hash
 * of their schema name, and each share has its own pool, so a backend only
 * ever sees its share's schemas and keeps their catalog entries warm (a
 * tenant's requests always land on connections that have seen it), while
 * {@link SchemaBoundedPool} bounds how many it holds.
 *
 * No connection carries session state (queries are schema-qualified, and
 * raw SQL sets a transaction-local `search_path`), so this stays correct
 * behind PgBouncer in transaction mode — where affinity is then PgBouncer's
 * to keep or lose — and on Citus, where it applies to the coordinator's
 * connections.
 */
export class TenantPools {
  readonly #shares: { pool: SchemaBoundedPool; db: Kysely<DB> }[];

  constructor(
    poolConfig: pg.PoolConfig,
    dialectConfig: Omit<PostgresDialectConfig, 'pool'>,
    options: TenantPoolsOptions,
  ) {
    this.#shares = Array.from({ length: Math.max(1, options.shares) }, () => {
      const pool = new SchemaBoundedPool(poolConfig, options.schemasPerConnection);
      return { pool, db: new Kysely<DB>({ dialect: new PostgresDialect({ ...dialectConfig, pool }) }) };
    });
  }

  /** The handle for queries on `schema`'s tables: its share's connections. */
  forSchema(schema: string): Kysely<DB> {
    const share = this.#shares[shareOf(schema, this.#shares.length)]!;
    return share.db.withPlugin(new NoteSchemaPlugin(share.pool, schema));
  }

  /** Each share's pool, for its connection counts. */
  get pools(): readonly PoolCounts[] {
    return this.#shares.map((share) => share.pool);
  }

  async end(): Promise<void> {
    await Promise.all(this.#shares.map((share) => share.db.destroy()));
  }
}

/** The share of a schema: FNV-1a of its name, so every process agrees. */
export function shareOf(schema: string, shares: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) {
    hash ^= schema.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shares;
}
