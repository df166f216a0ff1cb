import { sql } from 'kysely';
import { newSchemaStatements, runStatements, type Migration, type SqlExecutor, type StatementMode } from './migration.ts';
import { quoteIdent, quoteLiteral } from './schema-name.ts';

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

  await moveIdentitiesPastKeys(trx, target);
}

/**
 * Moves each identity sequence of `schema` past the largest key its table
 * holds. The largest keys are read in one query and the sequences set with
 * them as literals in the next: on Citus the first runs on the node that
 * holds the schema, and a `setval` inside it would set that node's copy of
 * the sequence (which has its own range of values) instead of the
 * coordinator's, which numbers the rows inserted through it.
 */
async function moveIdentitiesPastKeys(trx: SqlExecutor, schema: string): Promise<void> {
  const { rows: identities } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = ${schema} and is_identity = 'YES' order by table_name`.execute(trx);
  if (identities.length === 0) return;
  const qualified = identities.map(({ table_name }) => `${quoteIdent(schema)}.${quoteIdent(table_name)}`);
  const largest = identities.map(({ column_name }, i) => `(select max(${quoteIdent(column_name)}) from ${qualified[i]}) as k${i}`);
  const { rows } = await sql.raw<Record<string, number | string | null>>(`select ${largest.join(', ')}`).execute(trx);
  const keys = rows[0]!;
  const setvals = identities.map(({ column_name }, i) => {
    const next = BigInt(keys[`k${i}`] ?? 0) + 1n;
    return `setval(pg_get_serial_sequence(${quoteLiteral(qualified[i]!)}, ${quoteLiteral(column_name)}), ${next}, false)`;
  });
  await sql.raw(`select ${setvals.join(', ')}`).execute(trx);
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
