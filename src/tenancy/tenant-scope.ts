import type { Kysely, QueryCreator, Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import type { Tenant } from './directory.ts';
import { scopeTransaction } from './migration.ts';

/**
 * A request's handle on its tenant's tables.
 *
 * Every tenant query is qualified with the tenant's schema (`withSchema`),
 * so it runs correctly on any pooled connection, behind PgBouncer in
 * transaction mode and on Citus alike: no connection ever carries a tenant.
 * Shared tables are always named `public.x` and are left as they are.
 * The queries run on the connections that serve the tenant's share of the
 * tenants (`Database.forSchema`).
 */
export class TenantScope {
  readonly db: Kysely<DB>;
  readonly query: QueryCreator<DB>;

  constructor(
    database: Pick<Database, 'forSchema'>,
    readonly tenant: Tenant,
  ) {
    this.db = database.forSchema(tenant.schema);
    this.query = this.db.withSchema(tenant.schema);
  }

  get schema(): string {
    return this.tenant.schema;
  }

  /** True for the personal workspace (the public schema). */
  get isPersonalWorkspace(): boolean {
    return this.tenant.schema === 'public';
  }

  /** Runs `work` in one transaction, with queries qualified by the tenant's schema. */
  transaction<T>(work: (query: QueryCreator<DB>, trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(trx.withSchema(this.tenant.schema), trx));
  }

  /**
   * Runs raw SQL with unqualified tenant table names: the transaction's
   * `search_path` is set to the tenant's schema with `set_config(..., true)`,
   * which ends with the transaction.
   */
  rawTransaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await scopeTransaction(trx, this.tenant.schema);
      return work(trx);
    });
  }
}
