/**
 * `plio db copy`: the whole installation (public and every tenant schema)
 * into another, empty database — the way off the embedded database.
 *
 * Resumable, not atomic: public (shared tables, the personal workspace, the
 * organization rows) is copied in one target transaction, then each tenant
 * schema in a transaction of its own. One transaction for everything would
 * hold a lock on every relation it creates, and at a thousand tenants
 * (~50,000 relations) that exhausts PostgreSQL's lock table ("out of shared
 * memory"), which is exactly where `pg_dump -n` fails. Instead, a marker
 * table in the target's public schema says a copy is under way: a rerun after
 * a failure or a kill skips every schema already committed and copies the
 * rest; the marker is dropped when the last schema is in.
 *
 * Each schema is read in its own snapshot: stop writes to the source (the
 * server) while it runs. The source is only read.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { applyMigrations, appliedMigrations, scopeTransaction, statementMode, type MigrationSets, type SqlExecutor } from '../tenancy/migration.ts';
import { createTenantSchema } from '../tenancy/provisioning.ts';
import { PUBLIC_SCHEMA } from '../tenancy/schema-name.ts';
import { schemaTables, type TableShape } from './catalog.ts';
import { insertJsonRows, moveSequencesPastRows } from './row-load.ts';
import { jsonLines } from './row-lines.ts';

/** Present in the target's public schema while a copy is under way. */
const COPY_MARKER = 'plio_db_copy_in_progress';

export interface CopyOptions {
  migrations: MigrationSets;
  /** After each schema: how many are copied (or found copied) out of how many. */
  onProgress?: (done: number, total: number, schema: string) => void;
}

export interface CopyResult {
  schemas: number;
  /** Schemas a previous, interrupted run had copied already. */
  resumed: number;
  rows: number;
}

export async function copyInstallation(source: Database, target: Database, options: CopyOptions): Promise<CopyResult> {
  const schemas = await sourceSchemas(source.db, options.migrations);
  const resuming = await targetState(target.db, target.description);
  const copied = resuming ? new Set(await existingSchemas(target.db)) : new Set<string>();
  let rows = 0;
  let resumed = 0;
  const all = [PUBLIC_SCHEMA, ...schemas];
  for (const [i, schema] of all.entries()) {
    if (copied.has(schema)) resumed++;
    else rows += await copySchema(source, target.db, schema, options.migrations);
    options.onProgress?.(i + 1, all.length, schema);
  }
  await sql`drop table ${sql.table(`public.${COPY_MARKER}`)}`.execute(target.db);
  return { schemas: all.length, resumed, rows };
}

/** The live organizations' schemas; refuses a source that is not fully migrated (the copy creates the latest version). */
async function sourceSchemas(db: Kysely<DB>, migrations: MigrationSets): Promise<string[]> {
  const behind = await db
    .selectFrom('public.organization')
    .select('schema_name')
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('schema_version', 'is', null), eb('schema_version', '<>', migrations.tenant.length)]))
    .execute();
  const publicShared = await db.transaction().execute(async (trx) => {
    await scopeTransaction(trx, PUBLIC_SCHEMA);
    return (await appliedMigrations(trx, 'shared')).size;
  });
  if (behind.length > 0 || publicShared !== migrations.shared.length) {
    throw errors.badRequest(`the source database is not migrated to the latest version (${behind.length || 'public'} behind); run plio migrate first`);
  }
  const rows = await db
    .selectFrom('public.organization')
    .select('schema_name')
    .where('deleted_at', 'is', null)
    .where('schema_name', '<>', PUBLIC_SCHEMA)
    .orderBy('schema_name')
    .execute();
  return rows.map((row) => row.schema_name);
}

/**
 * `true` when the target holds an interrupted copy to resume; refuses any
 * other content. Relations an extension owns do not count: a Citus database
 * comes with the extension's own tables (`columnar_internal.*`) before
 * anything is copied into it.
 */
async function targetState(db: Kysely<DB>, description: string): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`
    select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
      and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    limit 2`.execute(db);
  if (rows.length === 0) return false;
  const marker = await sql<{ found: boolean }>`select to_regclass(${`public.${COPY_MARKER}`}) is not null as found`.execute(db);
  if (marker.rows[0]!.found) return true;
  throw errors.copyTargetNotEmpty(description);
}

async function existingSchemas(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select nspname as name from pg_namespace`.execute(db);
  return rows.map((row) => row.name);
}

/**
 * One schema, in one target transaction: its tables at the latest version,
 * every row, the sequences past them. Public also gets the copy marker, in
 * the same transaction, so "public exists" means "public is complete".
 */
async function copySchema(source: Database, target: Kysely<DB>, schema: string, migrations: MigrationSets): Promise<number> {
  const mode = await statementMode(target);
  return source.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((read) =>
      target.transaction().execute(async (write) => {
        if (schema === PUBLIC_SCHEMA) {
          await scopeTransaction(write, PUBLIC_SCHEMA);
          await appliedMigrations(write, 'shared'); // creates the ledger
          await applyMigrations(write, 'shared', migrations.shared, mode);
          await applyMigrations(write, 'tenant', migrations.tenant, mode);
          await sql`create table ${sql.table(`public.${COPY_MARKER}`)} (started_at timestamptz not null default now())`.execute(write);
        } else {
          await createTenantSchema(write, schema, migrations.tenant, mode);
        }
        // The source's tables: the target's are the same (both at the latest version) plus the marker.
        const tables = await schemaTables(read, schema);
        let rows = 0;
        for (const table of tables) rows += await copyTable(source.kind, read, write, schema, table);
        await moveSequencesPastRows(write, schema, tables);
        return rows;
      }),
    );
}

async function copyTable(kind: Database['kind'], read: SqlExecutor, write: SqlExecutor, schema: string, table: TableShape): Promise<number> {
  let rows = 0;
  for await (const batch of jsonLines(read, kind, { relation: sql.table(`${schema}.${table.name}`), key: table.key })) {
    await insertJsonRows(write, schema, table, `[${batch.join(',')}]`);
    rows += batch.length;
  }
  return rows;
}
