import type { MigrationSets } from '../tenancy/migration.ts';
import { initial as sharedInitial } from './shared/0001-initial.ts';
import { citusReferenceTables } from './shared/0002-citus-reference-tables.ts';
import { keyedHashesAndE164Mobiles } from './shared/0003-keyed-hashes-and-e164-mobiles.ts';
import { initial as tenantInitial } from './tenant/0001-initial.ts';
import { sessionRetentionReach } from './tenant/0002-session-retention-reach.ts';
import { contentOwners } from './tenant/0003-content-owners.ts';
import { retentionWithoutTrigger } from './tenant/0004-retention-without-trigger.ts';
import { lighterLearningTables } from './tenant/0005-lighter-learning-tables.ts';

/**
 * Every migration, in order. Entries are immutable once released: change the
 * schema by appending a migration, never by editing one.
 */
export const migrations: MigrationSets = Object.freeze({
  shared: Object.freeze([sharedInitial, citusReferenceTables, keyedHashesAndE164Mobiles]),
  tenant: Object.freeze([tenantInitial, sessionRetentionReach, contentOwners, retentionWithoutTrigger, lighterLearningTables]),
});
