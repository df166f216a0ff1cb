import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/**
 * Bytes each schema takes on disk — its tables, their indexes and TOAST — as
 * PostgreSQL last estimated them (`pg_class.relpages`, kept up to date by
 * VACUUM, ANALYZE and autovacuum), for `schemas` or every live
 * organization's schema.
 *
 * An estimate on purpose: the exact figure (`pg_total_relation_size`) opens
 * every relation's files, which at 10,000 tenants (700,000 relations) took
 * 18 s and left the backend holding 2 GB of catalog caches; this reads one
 * catalog table. A table nobody vacuumed yet shows as 0. Schemas without
 * relations are missing from the map.
 */
export async function estimatedSchemaSizes(db: Kysely<DB>, schemas?: readonly string[]): Promise<Map<string, number>> {
  if (schemas?.length === 0) return new Map();
  const chosen = schemas
    ? sql`n.nspname = any(${[...schemas]}::text[])`
    : sql`n.nspname in (select schema_name from public.organization where deleted_at is null)`;
  const { rows } = await sql<{ schema_name: string; size_bytes: number }>`
    select n.nspname as schema_name,
      sum(c.relpages::bigint + coalesce(toast.relpages, 0)) * current_setting('block_size')::bigint as size_bytes
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_class toast on toast.oid = c.reltoastrelid
    where ${chosen} and c.relkind in ('r', 'i', 'm')
    group by n.nspname`.execute(db);
  return new Map(rows.map((row) => [row.schema_name, Number(row.size_bytes)]));
}
