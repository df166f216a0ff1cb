import { sql, type Kysely } from 'kysely';
import { quoteIdent } from './schema-name.ts';

/**
 * One immutable step of a schema's history: a name that sorts in order and
 * a SQL script. Tenant scripts use unqualified table names and run with the
 * `search_path` set to the schema being migrated, so one script serves
 * `public` and every tenant; shared tables are referenced as `public.x`.
 */
export interface Migration {
  readonly name: string;
  readonly sql: string;
}

/** `shared` runs in `public` only; `tenant` runs in `public` and every tenant schema. */
export type MigrationSetName = 'shared' | 'tenant';

export interface MigrationSets {
  readonly shared: readonly Migration[];
  readonly tenant: readonly Migration[];
}

/**
 * A connection or transaction of any table typing: the helpers here run raw
 * SQL and work for the process-wide handle and for tests' handles alike.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SqlExecutor = Kysely<any>;

/** Each schema keeps the list of what it applied in this table. */
export const LEDGER_TABLE = 'plio_migration';

const LEDGER_DDL = `create table if not exists ${LEDGER_TABLE} (
  migration_set text not null,
  name text not null,
  applied_at timestamptz not null default now(),
  primary key (migration_set, name)
)`;

/**
 * Scopes the rest of the transaction to `schema`: `set_config(..., true)` is
 * transaction-local, so nothing leaks to the pooled connection afterwards.
 */
export async function scopeTransaction(trx: SqlExecutor, schema: string, lockTimeout?: string): Promise<void> {
  // Only the schema itself: an unqualified name must never fall through to
  // public's table of the same name.
  await sql`select set_config('search_path', ${quoteIdent(schema)}, true)${
    lockTimeout ? sql`, set_config('lock_timeout', ${lockTimeout}, true)` : sql``
  }`.execute(trx);
}

/** The names a schema has applied from `set`, creating its ledger on first use. */
export async function appliedMigrations(trx: SqlExecutor, set: MigrationSetName): Promise<Set<string>> {
  await sql.raw(LEDGER_DDL).execute(trx);
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(LEDGER_TABLE)} where migration_set = ${set}`.execute(trx);
  return new Set(rows.map((row) => row.name));
}

/**
 * Applies `pending` in order in the current (already scoped) transaction, in
 * one round trip: the scripts and the ledger rows go as one multi-statement
 * text.
 */
export async function applyMigrations(trx: SqlExecutor, set: MigrationSetName, pending: readonly Migration[]): Promise<void> {
  if (pending.length === 0) return;
  await sql.raw(migrationScript(set, pending)).execute(trx);
}

/** The SQL that applies `pending` and records them in the schema's ledger. */
function migrationScript(set: MigrationSetName, pending: readonly Migration[]): string {
  const ledgerRows = pending.map((m) => `('${set}', ${literal(m.name)})`).join(', ');
  return [...pending.map((m) => m.sql), `insert into ${LEDGER_TABLE} (migration_set, name) values ${ledgerRows}`].join(';\n');
}

/**
 * The script that creates a tenant schema at the latest version: the schema
 * (in its own statement, as Citus schema-based sharding needs), the
 * transaction scoped to it, its ledger, every tenant migration. One round
 * trip however many tables the tenant set has, which matters most when the
 * database is a network hop away.
 */
export function newSchemaScript(schema: string, tenantMigrations: readonly Migration[]): string {
  return [
    `create schema ${quoteIdent(schema)}`,
    `select set_config('search_path', ${literal(quoteIdent(schema))}, true)`,
    LEDGER_DDL,
    migrationScript('tenant', tenantMigrations),
  ].join(';\n');
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
