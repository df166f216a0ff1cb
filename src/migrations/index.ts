import type { MigrationSets } from '../tenancy/migration.ts';
import { initial as sharedInitial } from './shared/0001-initial.ts';
import { citusReferenceTables } from './shared/0002-citus-reference-tables.ts';
import { initial as tenantInitial } from './tenant/0001-initial.ts';
import { sessionRetentionReach } from './tenant/0002-session-retention-reach.ts';
import { contentOwners } from './tenant/0003-content-owners.ts';

/**
 * Every migration, in order. Entries are immutable once released: change the
 * schema by appending a migration, never by editing one.
 */
export const migrations: MigrationSets = Object.freeze({
  shared: Object.freeze([sharedInitial, citusReferenceTables]),
  tenant: Object.freeze([tenantInitial, sessionRetentionReach, contentOwners]),
});
