import { sql } from 'kysely';
import { newSchemaStatements, runStatements, type Migration, type SqlExecutor, type StatementMode } from './migration.ts';
import { quoteIdent } from './schema-name.ts';

/**
 * Creates `schema` with every tenant table inside the caller's transaction.
 * The transaction is left scoped to the new schema.
 */
export async function createTenantSchema(trx: SqlExecutor, schema: string, tenantMigrations: readonly Migration[], mode: StatementMode): Promise<void> {
  await runStatements(trx, newSchemaStatements(schema, tenantMigrations), mode);
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
  for (const table of parentsFirst(tables.map((t) => t.table_name), await foreignKeyReferences(trx, target))) {
    const from = `${quoteIdent(source)}.${quoteIdent(table)}`;
    const to = `${quoteIdent(target)}.${quoteIdent(table)}`;
    await sql.raw(`insert into ${to} select * from ${from}`).execute(trx);
  }
  const { rows: identities } = await sql<{ table: string; column: string }>`
    select table_name as table, column_name as column from information_schema.columns
    where table_schema = ${target} and is_identity = 'YES' order by table_name`.execute(trx);
  await moveIdentitiesPastKeys(trx, target, identities);
}

/** Which table of `schema` references which, by its foreign keys (what `parentsFirst` orders by). */
export async function foreignKeyReferences(trx: SqlExecutor, schema: string): Promise<{ child: string; parent: string }[]> {
  const { rows } = await sql<{ child: string; parent: string }>`
    select child.relname as child, parent.relname as parent
    from pg_constraint con
    join pg_class child on child.oid = con.conrelid
    join pg_class parent on parent.oid = con.confrelid
    join pg_namespace n on n.oid = child.relnamespace and n.oid = parent.relnamespace
    where con.contype = 'f' and n.nspname = ${schema}`.execute(trx);
  return rows;
}

/**
 * Moves each identity sequence of `schema` past the largest key its table
 * holds (after rows were copied or loaded with their ids). The largest keys
 * are read in one query and the sequences set with them as literals in the
 * next: on Citus the first runs on the node that holds the schema, and a
 * `setval` inside it would set that node's copy of the sequence (which has
 * its own range of values) instead of the coordinator's, which numbers the
 * rows inserted through it.
 */
export async function moveIdentitiesPastKeys(trx: SqlExecutor, schema: string, identities: readonly { table: string; column: string }[]): Promise<void> {
  if (identities.length === 0) return;
  const largest = identities.map(({ table, column }) => sql`(select coalesce(max(${sql.ref(column)}), 0) from ${sql.table(`${schema}.${table}`)})::text`);
  const { rows } = await sql<{ keys: string[] }>`select array[${sql.join(largest)}] as keys`.execute(trx);
  const setvals = identities.map(({ table, column }, i) => {
    const next = BigInt(rows[0]!.keys[i]!) + 1n;
    return sql`setval(pg_get_serial_sequence(${`${quoteIdent(schema)}.${quoteIdent(table)}`}, ${column}), ${sql.lit(next.toString())}::bigint, false)`;
  });
  await sql`select ${sql.join(setvals)}`.execute(trx);
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
