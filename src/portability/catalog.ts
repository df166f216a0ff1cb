import { sql } from 'kysely';
import { LEDGER_TABLE, type SqlExecutor } from '../tenancy/migration.ts';
import { foreignKeyReferences, parentsFirst } from '../tenancy/provisioning.ts';

/**
 * A table as the catalog describes it. Export, import and copy read
 * this instead of a hand-kept list, so a column or table that a migration
 * adds is carried with no change here.
 */
export interface TableShape {
  readonly name: string;
  /** Stored columns in table order (generated columns are left out: they are recomputed). */
  readonly columns: readonly string[];
  /** The single-column primary key rows are read in order of. */
  readonly key: string;
  /** Identity columns, whose sequences must move past loaded values. */
  readonly identities: readonly string[];
  /** Columns holding `public.user` ids (see `isUserReference`). */
  readonly userColumns: readonly string[];
}

/**
 * Whether a tenant column holds a `public.user` id. Tenant tables name users
 * without a foreign key (see tenant migration 0001: a key would put a trigger
 * per tenant on `public.user`), so the rule is a naming one, kept here alone:
 * a bigint column named `user_id` or ending in `_by_id` (`created_by_id`).
 */
export function isUserReference(column: string, type: string): boolean {
  return type === 'bigint' && (column === 'user_id' || column.endsWith('_by_id'));
}

/** The tables of `schema` (its migration ledger excepted), parents before children. */
export async function schemaTables(db: SqlExecutor, schema: string): Promise<TableShape[]> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string; type: string; is_identity: boolean; is_key: boolean }>`
    select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, null) as type,
      a.attidentity <> '' as is_identity,
      exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any (i.indkey)) as is_key
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    where n.nspname = ${schema} and c.relkind in ('r', 'p') and c.relname <> ${LEDGER_TABLE}
    order by c.relname, a.attnum`.execute(db);
  const byTable = new Map<string, typeof columns>();
  for (const column of columns) byTable.set(column.table_name, [...(byTable.get(column.table_name) ?? []), column]);
  return parentsFirst([...byTable.keys()], await foreignKeyReferences(db, schema)).map((name) => {
    const table = byTable.get(name)!;
    const keys = table.filter((c) => c.is_key);
    if (keys.length !== 1) throw new Error(`table ${schema}.${name} has no single-column primary key; it cannot be exported`);
    return Object.freeze({
      name,
      columns: table.map((c) => c.column_name),
      key: keys[0]!.column_name,
      identities: table.filter((c) => c.is_identity).map((c) => c.column_name),
      userColumns: table.filter((c) => isUserReference(c.column_name, c.type)).map((c) => c.column_name),
    });
  });
}

/** The stored columns of one table, in table order. */
export async function tableColumns(db: SqlExecutor, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select a.attname as name from pg_attribute a
    join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relname = ${table} and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    order by a.attnum`.execute(db);
  return rows.map((row) => row.name);
}
