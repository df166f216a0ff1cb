import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { appliedMigrations, applyMigrations, scopeTransaction, statementMode, type MigrationSets } from './migration.ts';
import { PUBLIC_SCHEMA } from './schema-name.ts';

export interface SchemaResult {
  schema: string;
  /** Names applied by this run (empty when the schema was up to date). */
  applied: string[];
  error?: string;
}

export interface MigrationReport {
  results: SchemaResult[];
  failed: SchemaResult[];
  /** Schemas that needed nothing (not listed in `results`). */
  upToDate: number;
}

export interface RunOptions {
  /** Migrate `public`'s shared set. Default: true. */
  shared?: boolean;
  /** Migrate the tenant set in `public` and every tenant schema. Default: true. */
  tenants?: boolean;
  /** Restrict the tenant set to these schemas. */
  schemas?: readonly string[];
  /** Schemas migrated at once; default 4. */
  concurrency?: number;
  /** Called after each schema, for progress display. */
  onProgress?: (done: number, total: number, result: SchemaResult) => void;
}

/** How long a migration waits for a table lock before giving up on that schema. */
const LOCK_TIMEOUT = '10s';

/**
 * Brings schemas to the latest version of the migration sets.
 *
 * The organization row keeps each schema's tenant version, so finding the
 * schemas that are behind is one query whatever their number: a run with
 * nothing to do costs two queries. Each schema migrates in its own
 * transaction under an advisory lock, so two runs never interleave on one
 * schema and a failure rolls back only that schema; the run goes on and
 * reports every failure at the end. Rerunning resumes where it stopped.
 */
export class Migrator {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly sets: MigrationSets,
  ) {}

  get tenantVersion(): number {
    return this.sets.tenant.length;
  }

  /** The tenant set's names in order: version N means the first N are applied. */
  get tenantMigrationNames(): readonly string[] {
    return this.sets.tenant.map((m) => m.name);
  }

  async run(options: RunOptions = {}): Promise<MigrationReport> {
    const results: SchemaResult[] = [];
    if (options.shared ?? true) {
      const shared = await this.migrateShared();
      if (shared.applied.length > 0 || shared.error) results.push(shared);
      if (shared.error) return { results, failed: [shared], upToDate: 0 };
    }
    let upToDate = 0;
    if (options.tenants ?? true) {
      const { behind, current } = await this.plan(options.schemas);
      upToDate = current;
      let done = 0;
      await eachWithConcurrency(behind, options.concurrency ?? 4, async (schema) => {
        const result = await this.migrateSchema(schema);
        results.push(result);
        options.onProgress?.(++done, behind.length, result);
      });
    }
    return { results, failed: results.filter((r) => r.error !== undefined), upToDate };
  }

  /** Schemas whose tenant set is behind, and how many are current. */
  async plan(only?: readonly string[]): Promise<{ behind: string[]; current: number }> {
    const latest = this.tenantVersion;
    const [publicVersion, rows, total] = await Promise.all([
      this.ledgerCount('tenant'),
      this.db
        .selectFrom('public.organization')
        .select('schema_name')
        .where('schema_version', '<', latest)
        .where('schema_name', '<>', PUBLIC_SCHEMA)
        .$if(only !== undefined, (q) => q.where('schema_name', 'in', only!.length ? only! : ['']))
        .orderBy('schema_name')
        .execute(),
      this.db
        .selectFrom('public.organization')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('schema_version', 'is not', null)
        .where('schema_name', '<>', PUBLIC_SCHEMA)
        .$if(only !== undefined, (q) => q.where('schema_name', 'in', only!.length ? only! : ['']))
        .executeTakeFirstOrThrow(),
    ]);
    const behind = rows.map((row) => row.schema_name);
    const includePublic = only === undefined || only.includes(PUBLIC_SCHEMA);
    if (includePublic && publicVersion < latest) behind.unshift(PUBLIC_SCHEMA);
    const current = Number(total.count) - rows.length + (includePublic && publicVersion >= latest ? 1 : 0);
    return { behind, current };
  }

  /** Number of schemas not at the latest version (0 means ready). */
  async pendingCount(): Promise<number> {
    const sharedApplied = await this.ledgerCount('shared');
    if (sharedApplied < this.sets.shared.length) return 1;
    const { behind } = await this.plan();
    return behind.length;
  }

  async migrateShared(): Promise<SchemaResult> {
    return this.migrateIn(PUBLIC_SCHEMA, 'shared');
  }

  async migrateSchema(schema: string): Promise<SchemaResult> {
    return this.migrateIn(schema, 'tenant');
  }

  private async migrateIn(schema: string, set: 'shared' | 'tenant'): Promise<SchemaResult> {
    try {
      const mode = await statementMode(this.db);
      const applied = await this.db.transaction().execute(async (trx) => {
        await scopeTransaction(trx, schema, LOCK_TIMEOUT);
        // Committing without waiting for the WAL flush is safe here: the schema's
        // changes, its ledger and its version commit or vanish together, and a
        // schema whose commit a crash lost is simply behind and migrated again.
        // It saves a disk flush per schema, most of the time a run takes.
        await sql`select pg_advisory_xact_lock(hashtext('plio.migrate'), hashtext(${schema})), set_config('synchronous_commit', 'off', true)`.execute(trx);
        const done = await appliedMigrations(trx, set);
        const pending = this.sets[set].filter((m) => !done.has(m.name));
        await applyMigrations(trx, set, pending, mode);
        if (set === 'tenant') {
          await sql`update public.organization set schema_version = ${this.sets.tenant.length} where schema_name = ${schema}`.execute(trx);
        }
        return pending.map((m) => m.name);
      });
      return { schema, applied };
    } catch (error) {
      return { schema, applied: [], error: (error as Error).message };
    }
  }

  /** How many migrations of `set` public's ledger holds. */
  private async ledgerCount(set: 'shared' | 'tenant'): Promise<number> {
    const { rows } = await sql<{ count: number }>`
      select count(*)::int as count from public.plio_migration where migration_set = ${set}`
      .execute(this.db)
      .catch(() => ({ rows: [{ count: 0 }] })); // no ledger yet: nothing applied
    return rows[0]?.count ?? 0;
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function eachWithConcurrency<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
