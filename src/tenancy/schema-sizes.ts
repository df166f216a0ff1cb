import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Up to this many schemas, follow each one's catalog entries by index; beyond, one pass over `pg_class`. */
const INDEXED_LOOKUP_LIMIT = 500;

interface Namespace {
  oid: number;
  nspname: string;
  block_size: number;
}

interface NamespacePages {
  namespace: number;
  pages: number;
}

/**
 * Bytes each of `schemas` takes on disk — its tables, their indexes and
 * TOAST — as PostgreSQL last estimated them (`pg_class.relpages`, kept up to
 * date by VACUUM, ANALYZE and autovacuum). Schemas without tables are
 * missing from the map.
 *
 * An estimate on purpose: the exact figure (`pg_total_relation_size`) opens
 * every relation's files, which at 10,000 tenants (700,000 relations) took
 * 18 s and left the backend holding 2 GB of catalog caches; this only reads
 * catalog rows. A table nobody vacuumed or analyzed yet counts as 0.
 *
 * `pg_class` has no index on the schema, so a few schemas (a page of a
 * listing) are found through `pg_depend` (tables depend on their schema) and
 * `pg_index`, by index: ~60 ms for 50 of 10,000 schemas. Many schemas are
 * one grouped pass over all of `pg_class`, run alongside the lookup of the
 * schemas' oids and matched to them here: no filter to evaluate per catalog
 * row, no join a planner with stale catalog statistics could get wrong
 * (joining to a subquery of the organizations once picked plans that took
 * minutes), and one round trip's wait instead of two.
 */
export async function estimatedSchemaSizes(db: Kysely<DB>, schemas: readonly string[]): Promise<Map<string, number>> {
  if (schemas.length === 0) return new Map();
  const lookUp = sql<Namespace>`
    select oid::int8 as oid, nspname, current_setting('block_size')::int8 as block_size
    from pg_namespace where nspname = any(${[...schemas]}::text[])`.execute(db);
  let namespaces: Namespace[];
  let pages: NamespacePages[];
  if (schemas.length <= INDEXED_LOOKUP_LIMIT) {
    namespaces = (await lookUp).rows;
    if (namespaces.length === 0) return new Map();
    pages = (await pagesByIndex(db, namespaces.map((n) => n.oid))).rows;
  } else {
    [{ rows: namespaces }, { rows: pages }] = await Promise.all([lookUp, pagesOfEveryNamespace(db)]);
    if (namespaces.length === 0) return new Map();
  }
  const blockSize = namespaces[0]!.block_size;
  const nameOf = new Map(namespaces.map((n) => [n.oid, n.nspname]));
  const sizes = new Map<string, number>();
  for (const row of pages) {
    const name = nameOf.get(row.namespace);
    if (name !== undefined) sizes.set(name, row.pages * blockSize);
  }
  return sizes;
}

/** Pages of the tables (with their TOAST and indexes) of the namespaces `oids`, through `pg_depend`'s index. */
function pagesByIndex(db: Kysely<DB>, oids: readonly number[]) {
  return sql<NamespacePages>`
    select d.refobjid::int8 as namespace,
      sum(c.relpages::bigint + coalesce(toast.relpages, 0)
        + coalesce((select sum(ic.relpages) from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = c.oid), 0))::int8 as pages
    from pg_depend d
    join pg_class c on c.oid = d.objid
    left join pg_class toast on toast.oid = c.reltoastrelid
    where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_namespace'::regclass
      and d.refobjid = any(${[...oids]}::oid[]) and c.relkind in ('r', 'm')
    group by d.refobjid`.execute(db);
}

/** Pages of the tables, indexes and their TOAST of every namespace: one pass over `pg_class`. */
function pagesOfEveryNamespace(db: Kysely<DB>) {
  return sql<NamespacePages>`
    select c.relnamespace::int8 as namespace, sum(c.relpages::bigint + coalesce(toast.relpages, 0))::int8 as pages
    from pg_class c
    left join pg_class toast on toast.oid = c.reltoastrelid
    where c.relkind in ('r', 'i', 'm')
    group by c.relnamespace`.execute(db);
}
