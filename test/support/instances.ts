import type { KyselyPlugin } from 'kysely';
import pino from 'pino';
import { boot, type Running } from '../../src/boot.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { tenancyEvents } from '../../src/tenancy/events.ts';
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

/**
 * Another server instance on `app`'s PostgreSQL database with connections
 * of its own (pools and the listening session), as a separate process has:
 * it hears other instances' changes only through NOTIFY. `lag` makes it a
 * loaded one: it handles each notification that many milliseconds late.
 * Close it before `app`.
 */
export async function separateProcess(app: TestApp, options: { env?: Record<string, string>; lag?: number } = {}): Promise<Running> {
  if (!app.database.url) throw new Error('a separate process needs a PostgreSQL database');
  const opened = await openDatabase({ databaseUrl: app.database.url, dataDir: '' }, { poolSize: 4 });
  const lag = options.lag ?? 0;
  const database: typeof opened = {
    ...opened,
    listen: (channel, onMessage, onMissed) => opened.listen(channel, (payload, sender) => setTimeout(() => onMessage(payload, sender), lag), onMissed),
  };
  const inThisProcess = new Set(tenancyEvents.listeners('changed'));
  const running = await boot(loadConfig({ LOG_LEVEL: 'silent', SECRET_KEY: TEST_SECRET_KEY, ...options.env }), { database, log: pino({ level: 'silent' }) });
  // A separate process shares no memory: it must not hear the in-process signal of `app`'s changes.
  for (const listener of tenancyEvents.listeners('changed')) if (!inThisProcess.has(listener)) tenancyEvents.off('changed', listener);
  return {
    ...running,
    async close() {
      await running.close();
      await opened.close();
    },
  };
}
