import { sql } from 'kysely';
import { pgErrorCode } from '../db/db-errors.ts';
import { errors } from '../errors.ts';
import type { SqlExecutor } from '../tenancy/migration.ts';
import { quoteIdent } from '../tenancy/schema-name.ts';

/** A foreign key or index taken off a schema for a bulk load, as the catalog defines it. */
interface Deferred {
  readonly table: string;
  readonly name: string;
  /** `pg_get_constraintdef` of a foreign key, or `pg_get_indexdef` of an index. */
  readonly definition: string;
}

export interface DeferredKeys {
  readonly foreignKeys: readonly Deferred[];
  readonly indexes: readonly Deferred[];
}

/**
 * Takes the foreign keys and secondary indexes off `schema`'s tables, so that
 * a bulk load pays neither a check per row nor an index insert per row, and
 * returns their definitions for `restoreKeys`. Primary keys and unique or
 * exclusion constraints stay: rows still meet them as they arrive.
 *
 * Meant for a schema just created in the caller's transaction (an import):
 * nothing else can see it, and the definitions come from the catalog, so no
 * released migration is edited or repeated. One statement per query (Citus).
 */
export async function deferKeys(trx: SqlExecutor, schema: string): Promise<DeferredKeys> {
  const { rows: foreignKeys } = await sql<Deferred>`
    select c.relname as table, con.conname as name, pg_get_constraintdef(con.oid) as definition
    from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and con.contype = 'f'
    order by c.relname, con.conname`.execute(trx);
  const { rows: indexes } = await sql<Deferred>`
    select c.relname as table, i.relname as name, pg_get_indexdef(x.indexrelid) as definition
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and not exists (select 1 from pg_constraint con where con.conindid = x.indexrelid and con.conrelid = x.indrelid)
    order by c.relname, i.relname`.execute(trx);
  for (const key of foreignKeys) {
    await sql.raw(`alter table ${qualified(schema, key.table)} drop constraint ${quoteIdent(key.name)}`).execute(trx);
  }
  for (const index of indexes) await sql.raw(`drop index ${qualified(schema, index.name)}`).execute(trx);
  return { foreignKeys, indexes };
}

/**
 * Puts back what `deferKeys` took off: each index built once over the loaded
 * rows, each foreign key validated in one pass over them (a violation fails
 * the load, as a per-row check would have). Run with the transaction scoped
 * to `schema`: a definition names a table of the schema it was read in
 * without qualifying it.
 */
export async function restoreKeys(trx: SqlExecutor, schema: string, deferred: DeferredKeys): Promise<void> {
  for (const index of deferred.indexes) await sql.raw(index.definition).execute(trx);
  for (const key of deferred.foreignKeys) {
    try {
      await sql.raw(`alter table ${qualified(schema, key.table)} add constraint ${quoteIdent(key.name)} ${key.definition}`).execute(trx);
    } catch (error) {
      if (pgErrorCode(error) === '23503') throw errors.archiveInvalid(`rows of table "${key.table}" point at rows it does not carry (${key.definition})`);
      throw error;
    }
  }
}

function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}
