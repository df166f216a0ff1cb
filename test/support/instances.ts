import type { KyselyPlugin } from 'kysely';
import pino from 'pino';
import { boot, type Running } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { TEST_SECRET_KEY, type TestApp } from './app.ts';

/** Counts the queries an app sends (pass it to {@link secondInstance}). */
export function queryCounter(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery(args) {
      this.count++;
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
}

/**
 * Another server instance on `app`'s database, with its own caches — as a
 * second process would be. Close it before `app`.
 */
export async function secondInstance(app: TestApp, env: Record<string, string> = {}, plugin?: KyselyPlugin): Promise<Running> {
  const shared = { ...app.database, close: async () => {} };
  // Tenant queries run on their own handles (tenant-affine connections): count those too.
  const database = plugin
    ? { ...shared, db: app.database.db.withPlugin(plugin), forSchema: (schema: string) => app.database.forSchema(schema).withPlugin(plugin) }
    : shared;
  return boot(loadConfig({ LOG_LEVEL: 'silent', SECRET_KEY: TEST_SECRET_KEY, ...env }), { database, log: pino({ level: 'silent' }) });
}
