import type { FastifyInstance, InjectOptions } from 'fastify';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { boot, type Running } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import type { Feature } from '../../src/feature.ts';
import type { MigrationSets } from '../../src/tenancy/migration.ts';
import { freshDatabase } from './database.ts';

export interface TestApp extends Running {
  /** `url`: on PostgreSQL, for connections of the test's own. */
  database: Database & { url?: string };
  /** `app.inject` with JSON parsed into `json`. */
  request(options: InjectOptions): Promise<LightMyRequestResponse & { json: <T = any>() => T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * The key every test instance hashes tokens and OTPs with, unless a test
 * sets its own: the same for every instance of one test (a second instance
 * must read the first one's tokens), and no key file written into `./data`.
 */
export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789abcdef';

/**
 * Boots the whole application on a fresh database, as `npm start` does,
 * with `env` as the environment. Close it in `after()`.
 */
export async function startApp(
  env: Record<string, string> = {},
  options: { migrationSets?: MigrationSets; features?: readonly Feature[]; databaseKind?: Database['kind'] } = {},
): Promise<TestApp> {
  const database = await freshDatabase({ kind: options.databaseKind });
  const config = loadConfig({ LOG_LEVEL: 'silent', SECRET_KEY: TEST_SECRET_KEY, ...env });
  const running = await boot(config, { database, log: pino({ level: 'silent' }), migrationSets: options.migrationSets, features: options.features });
  return {
    ...running,
    database,
    request: (options) => running.app.inject(options),
    async close() {
      await running.close();
      await database.close();
    },
  };
}

export type { FastifyInstance };
