import { sql, type Kysely } from 'kysely';
import { onCitus } from '../db/citus.ts';
import { quoteIdent, quoteLiteral } from './schema-name.ts';
import { splitStatements } from './sql-statements.ts';

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
 * How a run of statements goes to the server: as one multi-statement script
 * (one round trip: on plain PostgreSQL, provisioning a tenant as 29 separate
 * queries took 28–37% longer in the same run, see bench/README.md), or one
 * statement per query, which Citus needs: it forwards `CREATE INDEX` and most
 * `ALTER TABLE` to the workers as the whole query string and refuses one that
 * holds several commands.
 */
export type StatementMode = 'script' | 'one-per-query';

/** One statement per query on a Citus cluster, one script elsewhere. */
export async function statementMode(db: SqlExecutor): Promise<StatementMode> {
  return (await onCitus(db)) ? 'one-per-query' : 'script';
}

/**
 * Applies `pending` in order in the current (already scoped) transaction and
 * records them in the schema's ledger.
 */
export async function applyMigrations(trx: SqlExecutor, set: MigrationSetName, pending: readonly Migration[], mode: StatementMode): Promise<void> {
  if (pending.length === 0) return;
  await runStatements(trx, migrationStatements(set, pending), mode);
}

/** The statements that apply `pending` and record them in the schema's ledger. */
function migrationStatements(set: MigrationSetName, pending: readonly Migration[]): string[] {
  const ledgerRows = pending.map((m) => `('${set}', ${quoteLiteral(m.name)})`).join(', ');
  return [...pending.flatMap(statementsOf), `insert into ${LEDGER_TABLE} (migration_set, name) values ${ledgerRows}`];
}

/**
 * The statements that create a tenant schema at the latest version: the
 * schema (in its own statement, as Citus schema-based sharding needs), the
 * transaction scoped to it, its ledger, every tenant migration.
 */
export function newSchemaStatements(schema: string, tenantMigrations: readonly Migration[]): string[] {
  return [
    `create schema ${quoteIdent(schema)}`,
    `select set_config('search_path', ${quoteLiteral(quoteIdent(schema))}, true)`,
    LEDGER_DDL,
    ...migrationStatements('tenant', tenantMigrations),
  ];
}

/**
 * Released tenant migration 0002 creates a trigger, which Citus refuses on a
 * distributed table unless this setting is on; 0004 drops it again, in the
 * same transaction when a schema is created. The setting lasts for the
 * transaction only.
 */
const CITUS_MIGRATION_SETTINGS = "select set_config('citus.enable_unsafe_triggers', 'on', true)";

/** Runs migration `statements` in order in the caller's transaction. */
export async function runStatements(trx: SqlExecutor, statements: readonly string[], mode: StatementMode): Promise<void> {
  if (mode === 'script') {
    await sql.raw(statements.join(';\n')).execute(trx);
    return;
  }
  for (const statement of onePerQuery(statements)) await sql.raw(statement).execute(trx);
}

/** The queries that run `statements` one by one on Citus, its settings first. */
export function onePerQuery(statements: readonly string[]): string[] {
  return [CITUS_MIGRATION_SETTINGS, ...statements];
}

/** A migration's statements, split once per process. */
const splitMigrations = new WeakMap<Migration, readonly string[]>();
function statementsOf(migration: Migration): readonly string[] {
  let statements = splitMigrations.get(migration);
  if (!statements) splitMigrations.set(migration, (statements = splitStatements(migration.sql)));
  return statements;
}
