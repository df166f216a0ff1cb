import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { Domains } from './domains.ts';
import type { MigrationSets } from './migration.ts';
import { Migrator } from './migrator.ts';
import { Organizations } from './organizations.ts';
import { ReloadConfirmations } from './reload-confirmations.ts';

/** The tenant registry and the migration runner over one database. */
export interface Tenancy {
  readonly organizations: Organizations;
  readonly domains: Domains;
  readonly migrator: Migrator;
}

/**
 * `confirmations` makes deletes wait for every server's directory; without
 * it (tests of the registry alone) they wait for no one.
 */
export function createTenancy(db: Kysely<DB>, migrationSets: MigrationSets, confirmations = ReloadConfirmations.none()): Tenancy {
  // Creating an organization may add its primary domain in the same
  // transaction, so the two registries know each other.
  const organizations: Organizations = new Organizations(
    db,
    migrationSets,
    (trx, tenantId, domain, isPrimary) => domains.insertIn(trx, tenantId, domain, isPrimary),
    confirmations,
  );
  const domains = new Domains(db, organizations);
  return Object.freeze({ organizations, domains, migrator: new Migrator(db, migrationSets) });
}
