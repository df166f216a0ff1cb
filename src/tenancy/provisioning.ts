import { sql } from 'kysely';
import { newSchemaScript, type Migration, type SqlExecutor } from './migration.ts';
import { quoteIdent } from './schema-name.ts';

/**
 * Creates `schema` with every tenant table inside the caller's transaction,
 * in one round trip. The transaction is left scoped to the new schema.
 */
export async function createTenantSchema(trx: SqlExecutor, schema: string, tenantMigrations: readonly Migration[]): Promise<void> {
  await sql.raw(newSchemaScript(schema, tenantMigrations)).execute(trx);
}

export async function dropTenantSchema(trx: SqlExecutor, schema: string): Promise<void> {
  await sql.raw(`drop schema if exists ${quoteIdent(schema)} cascade`).execute(trx);
}

/**
 * Copies every row of `source`'s tables into the same tables of `target`
 * (created by the same migrations, so columns line up), parents before
 * children, then moves each identity sequence past the copied keys.
 */
export async function cloneSchemaData(trx: SqlExecutor, source: string, target: string): Promise<void> {
  const { rows: tables } = await sql<{ table_name: string }>`
    select c.relname as table_name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${target} and c.relkind in ('r', 'p') and c.relname <> 'plio_migration'`.execute(trx);
  const { rows: references } = await sql<{ child: string; parent: string }>`
    select child.relname as child, parent.relname as parent
    from pg_constraint con
    join pg_class child on child.oid = con.conrelid
    join pg_class parent on parent.oid = con.confrelid
    join pg_namespace n on n.oid = child.relnamespace and n.oid = parent.relnamespace
    where con.contype = 'f' and n.nspname = ${target}`.execute(trx);

  for (const table of parentsFirst(tables.map((t) => t.table_name), references)) {
    const from = `${quoteIdent(source)}.${quoteIdent(table)}`;
    const to = `${quoteIdent(target)}.${quoteIdent(table)}`;
    await sql.raw(`insert into ${to} select * from ${from}`).execute(trx);
  }

  const { rows: identities } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = ${target} and is_identity = 'YES'`.execute(trx);
  for (const { table_name, column_name } of identities) {
    const qualified = `${quoteIdent(target)}.${quoteIdent(table_name)}`;
    await sql
      .raw(
        `select setval(pg_get_serial_sequence('${qualified.replaceAll("'", "''")}', '${column_name}'),
          coalesce((select max(${quoteIdent(column_name)}) from ${qualified}), 0) + 1, false)`,
      )
      .execute(trx);
  }
}

/** Orders tables so that every table comes after the tables it references. */
export function parentsFirst(tables: string[], references: { child: string; parent: string }[]): string[] {
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table) || visiting.has(table)) return; // self-references and cycles: keep going
    visiting.add(table);
    for (const ref of references) if (ref.child === table && ref.parent !== table) visit(ref.parent);
    ordered.push(table);
  };
  [...tables].sort().forEach(visit);
  return ordered;
}
