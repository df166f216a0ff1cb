import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppContext } from './app-context.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import type { Feature } from './feature.ts';
import { features as allFeatures } from './features.ts';
import { buildApp } from './http/app.ts';
import { createLogger } from './logger.ts';
import { migrations } from './migrations/index.ts';
import { loadSecretKey } from './secret-key.ts';
import { TenantDirectory } from './tenancy/directory.ts';
import { ReloadConfirmations } from './tenancy/reload-confirmations.ts';
import type { MigrationSets } from './tenancy/migration.ts';
import { PUBLIC_SCHEMA } from './tenancy/schema-name.ts';
import { createTenancy, type Tenancy } from './tenancy/tenancy.ts';

export interface BootOptions {
  /** An already open database (tests share one); opened from the config otherwise. */
  database?: Database;
  migrationSets?: MigrationSets;
  features?: readonly Feature[];
  log?: Logger;
}

export interface Running {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  /** Stops the app and, when boot opened it, the database. */
  close(): Promise<void>;
}

/**
 * Brings a process from configuration to a ready HTTP app: opens the
 * database, runs shared and tenant migrations, creates the public tenant and
 * lets each feature seed what it needs. Every step is idempotent.
 */
export async function boot(config: Config, options: BootOptions = {}): Promise<Running> {
  const log = options.log ?? (await createLogger(config.logLevel));
  // The server bounds its waits for the database; operator commands, which
  // may run long statements on purpose, open it without (src/cli/session.ts).
  const database = options.database ?? (await openDatabase(config, { timeouts: config.databaseTimeouts }));
  const features = options.features ?? allFeatures;
  try {
    const confirmations = new ReloadConfirmations(database, (pids, timeoutMs) =>
      log.warn({ pids }, `tenancy change: ${pids.length} server process(es) did not confirm their reload within ${timeoutMs} ms`),
    );
    const tenancy = createTenancy(database.db, options.migrationSets ?? migrations, confirmations);
    await migrateAll(tenancy, log);
    await ensurePublicTenant(tenancy, config.defaultTenant);
    const directory = new TenantDirectory(database.db, config.defaultTenant);
    await directory.start(database);
    const secretKey = await loadSecretKey(config, database, log);
    const context: AppContext = Object.freeze({ config, database, db: database.db, tenancy, directory, log, secretKey });
    for (const feature of features) await feature.onBoot?.(context);
    const app = await buildApp(context, features);
    await app.ready();
    return {
      app,
      context,
      async close() {
        await app.close();
        for (const feature of features) await feature.onClose?.(context);
        directory.stop();
        if (!options.database) await database.close();
      },
    };
  } catch (error) {
    if (!options.database) await database.close();
    throw error;
  }
}

async function migrateAll(tenancy: Tenancy, log: Logger): Promise<void> {
  const report = await tenancy.migrator.run({
    onProgress: (done, total, result) => {
      if (result.error) log.error({ schema: result.schema, error: result.error }, 'migration failed');
      else if (done === total || done % 100 === 0) log.info({ done, total }, 'migrating schemas');
    },
  });
  if (report.failed.length > 0) {
    throw new Error(
      `migrations failed in ${report.failed.length} schema(s): ${report.failed.map((f) => `${f.schema} (${f.error})`).join('; ')}; run "plio migrate" for details`,
    );
  }
}

/**
 * Creates the public tenant (schema `public`) and its primary domain unless
 * they exist. Safe to run on every start and from several processes: the
 * unique constraints decide a race, and the loser finds the winner's row.
 */
export async function ensurePublicTenant(tenancy: Tenancy, defaults: Config['defaultTenant']): Promise<void> {
  let tenant = await tenancy.organizations.findBySchema(PUBLIC_SCHEMA);
  if (!tenant) {
    try {
      tenant = await tenancy.organizations.create({ ...defaults, schemaName: PUBLIC_SCHEMA });
    } catch (error) {
      tenant = await tenancy.organizations.findBySchema(PUBLIC_SCHEMA);
      if (!tenant) throw error;
    }
  }
  const domains = await tenancy.domains.list(tenant);
  if (domains.length === 0 && defaults.domain) {
    try {
      await tenancy.domains.create({ domain: defaults.domain, tenant, isPrimary: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'DOMAIN_TAKEN') throw error;
    }
  }
}
