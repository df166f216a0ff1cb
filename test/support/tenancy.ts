import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { migrations } from '../../src/migrations/index.ts';
import type { MigrationSets } from '../../src/tenancy/migration.ts';
import { createTenancy, type Tenancy } from '../../src/tenancy/tenancy.ts';
import { freshDatabase } from './database.ts';

/** A fresh database with the tenancy registry, migrated or not. */
export async function freshTenancy(
  options: { migrate?: boolean; migrationSets?: MigrationSets; poolSize?: number } = {},
): Promise<{ database: Database; tenancy: Tenancy; close(): Promise<void> }> {
  const database = await freshDatabase({ poolSize: options.poolSize });
  const tenancy = createTenancy(database.db, options.migrationSets ?? migrations);
  if (options.migrate ?? true) {
    const report = await tenancy.migrator.run();
    if (report.failed.length > 0) throw new Error(`migration failed: ${report.failed[0]!.error}`);
  }
  return { database, tenancy, close: () => database.close() };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** `SELECT schema_name FROM information_schema.schemata`, as the walkthrough runs it. */
export async function schemaNames(db: AnyDb): Promise<string[]> {
  const { rows } = await sql<{ schema_name: string }>`select schema_name from information_schema.schemata`.execute(db);
  return rows.map((row) => row.schema_name).sort();
}

/** `SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = $1`, sorted. */
export async function tableNames(db: AnyDb, schema: string): Promise<string[]> {
  const { rows } = await sql<{ tablename: string }>`
    select tablename from pg_catalog.pg_tables where schemaname = ${schema}`.execute(db);
  return rows.map((row) => row.tablename).sort();
}

export const SHARED_TABLES = [
  'domain',
  'installation_secret',
  'oauth_access_token',
  'oauth_application',
  'oauth_refresh_token',
  'one_time_password',
  'organization',
  'organization_user',
  'role',
  'user',
];

export const TENANT_TABLES = [
  'event',
  'experiment',
  'experiment_plio',
  'image',
  'item',
  'model_has_tag',
  'plio',
  'question',
  'session',
  'session_answer',
  'tag',
  'video',
];
