import { sql, type Kysely } from 'kysely';
import { onCitus } from '../db/citus.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';

/**
 * Where tenant schemas live on a Citus cluster (schema-based sharding: each
 * tenant schema is a distributed schema whose tables all sit on one node)
 * and how one moves. Nothing here applies to a single server.
 */

/** A schema's bytes and, on Citus, the node (`host:port`) that holds its tables. */
export interface SchemaPlacement {
  sizeBytes: number;
  node: string | null;
}

/**
 * Bytes and node of each of `schemas` on a Citus cluster. The
 * coordinator's tables of a distributed schema are empty shells, so a
 * Citus table counts the size of one of its shard placements (on the node
 * that holds it; reference tables have one on every node), any other table
 * its own size. A schema that is not distributed (public) lives on the
 * coordinator.
 */
export async function citusSchemaPlacements(db: Kysely<DB>, schemas: readonly string[]): Promise<Map<string, SchemaPlacement>> {
  if (schemas.length === 0) return new Map();
  const { rows } = await sql<{ schema_name: string; size_bytes: number; node: string | null }>`
    with placement as (
      select table_name, max(shard_size) as size_bytes,
        min(nodename || ':' || nodeport) filter (where citus_table_type = 'schema') as node
      from citus_shards group by table_name
    )
    select n.nspname as schema_name,
      sum(coalesce(p.size_bytes, pg_total_relation_size(c.oid)))::bigint as size_bytes,
      coalesce(min(p.node), (select min(nodename || ':' || nodeport) from pg_dist_node where groupid = 0)) as node
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join placement p on p.table_name = c.oid
    where c.relkind = 'r' and n.nspname = any(${[...schemas]}::text[])
    group by n.nspname`.execute(db);
  return new Map(rows.map((row) => [row.schema_name, { sizeBytes: Number(row.size_bytes), node: row.node }]));
}

/** How far a move has come: bytes copied to the target node out of the schema's bytes. */
export interface MoveProgress {
  copiedBytes: number;
  totalBytes: number;
}

export interface MoveResult {
  from: string;
  to: string;
  /** False when the schema was on `to` already: nothing was moved. */
  moved: boolean;
}

const PROGRESS_INTERVAL_MS = 250;

/**
 * Moves `schema` (a distributed schema) to the worker `node` (`host:port`)
 * with `citus_schema_move`, reporting progress from
 * `get_rebalance_progress()` while it runs. Citus copies the tables with
 * logical replication and blocks writes to them only for the final
 * catch-up, so the tenant keeps being served; its schema name, rows and
 * keys do not change, so neither does anything the tenant directory and
 * the caches hold.
 *
 * The move holds one connection of the pool, outside any transaction, for
 * as long as it takes; the progress is read on another.
 */
export async function moveSchema(db: Kysely<DB>, schema: string, node: string, onProgress: (progress: MoveProgress) => void = () => {}): Promise<MoveResult> {
  if (!(await onCitus(db))) throw errors.citusRequired('moving a tenant');
  const target = parseNode(node);
  const to = `${target.host}:${target.port}`;
  const workers = await workerNodes(db);
  if (!workers.includes(to)) throw errors.unknownNode(node, workers);
  const from = await schemaNode(db, schema);
  if (from === undefined) throw errors.badRequest(`schema "${schema}" is not a distributed schema of this cluster`);
  if (from === to) return { from, to, moved: false };

  const timer = setInterval(() => {
    moveProgress(db, schema).then(
      (progress) => progress && onProgress(progress),
      () => {}, // progress is best effort; the move itself reports its failure
    );
  }, PROGRESS_INTERVAL_MS);
  try {
    await db.connection().execute((connection) => sql`select citus_schema_move(${schema}::regnamespace, ${target.host}::text, ${target.port}::int)`.execute(connection));
  } finally {
    clearInterval(timer);
  }
  return { from, to, moved: true };
}

function parseNode(node: string): { host: string; port: number } {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(node);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw errors.badRequest(`invalid node "${node}": expected HOST:PORT`);
  return { host: match[1]!, port };
}

/** The active primary workers, as `host:port`. */
async function workerNodes(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ node: string }>`
    select nodename || ':' || nodeport as node from pg_dist_node
    where isactive and noderole = 'primary' and shouldhaveshards and groupid <> 0
    order by nodename, nodeport`.execute(db);
  return rows.map((row) => row.node);
}

/** The node holding `schema`'s tables (from Citus's catalog); undefined when it is not a distributed schema. */
async function schemaNode(db: Kysely<DB>, schema: string): Promise<string | undefined> {
  const { rows } = await sql<{ node: string }>`
    select node.nodename || ':' || node.nodeport as node
    from pg_dist_schema ds
    join pg_dist_partition p on p.colocationid = ds.colocationid
    join pg_dist_shard s on s.logicalrelid = p.logicalrelid
    join pg_dist_placement pl on pl.shardid = s.shardid
    join pg_dist_node node on node.groupid = pl.groupid
    where ds.schemaid = to_regnamespace(${schema})
    limit 1`.execute(db);
  return rows[0]?.node;
}

async function moveProgress(db: Kysely<DB>, schema: string): Promise<MoveProgress | undefined> {
  const { rows } = await sql<{ copied: number | null; total: number | null }>`
    select sum(target_shard_size)::bigint as copied, sum(source_shard_size)::bigint as total
    from get_rebalance_progress() p
    join pg_class c on c.oid = p.table_name
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema}`.execute(db);
  const row = rows[0];
  if (!row || row.total === null) return undefined;
  return { copiedBytes: Number(row.copied ?? 0), totalBytes: Number(row.total) };
}
