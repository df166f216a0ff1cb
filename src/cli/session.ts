import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { migrations } from '../migrations/index.ts';
import { ReloadConfirmations } from '../tenancy/reload-confirmations.ts';
import { createTenancy, type Tenancy } from '../tenancy/tenancy.ts';

/** An open database and the tenancy registry, for one command. */
export interface CommandSession {
  config: Config;
  database: Database;
  tenancy: Tenancy;
}

/**
 * Opens the configured database for a command and makes sure the shared
 * tables exist (a no-op costing two queries once they do), so every command
 * works on a fresh database. Tenant schemas are left to `plio migrate`.
 */
export async function withSession<T>(work: (session: CommandSession) => Promise<T>, options: { prepare?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    // A delete from the CLI, too, returns once every running server stopped serving the organization.
    const confirmations = new ReloadConfirmations(database, (pids, timeoutMs) =>
      process.stderr.write(`warning: ${pids.length} server process(es) did not confirm within ${timeoutMs} ms that they stopped serving (backend pids ${pids.join(', ')})\n`),
    );
    const tenancy = createTenancy(database.db, migrations, confirmations);
    if (options.prepare ?? true) {
      const report = await tenancy.migrator.run({ schemas: ['public'] });
      if (report.failed.length > 0) throw new Error(`migrating public failed: ${report.failed[0]!.error}`);
    }
    return await work({ config, database, tenancy });
  } finally {
    await database.close();
  }
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
