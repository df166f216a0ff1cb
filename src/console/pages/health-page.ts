import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { cacheCounts } from '../../cache/index.ts';
import type { ConsoleDeps } from '../feature.ts';
import { renderPage } from '../views.ts';

/** How long the page waits for the database or Redis before calling it unreachable. */
const CHECK_TIMEOUT_MS = 1000;

interface Check {
  ok: boolean;
  detail: string;
}

/** Health: the database, its pool, Redis, the caches and the notification listener. */
export async function healthPage(scope: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const { context } = deps;
  // One connection for the page's pings, opened on first use.
  let redis: Redis | undefined;
  scope.addHook('onClose', async () => {
    redis?.disconnect();
  });

  const timed = async (work: () => Promise<unknown>): Promise<Check> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        }),
      ]);
      return { ok: true, detail: `answered in ${(performance.now() - started).toFixed(1)} ms` };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  };

  scope.get('/health', async (request, reply) => {
    const redisUrl = context.config.redisUrl;
    const [database, pending, redisCheck] = await Promise.all([
      timed(() => sql`select 1`.execute(context.db)),
      context.tenancy.migrator.pendingCount().catch(() => undefined),
      redisUrl
        ? timed(async () => {
            if (!redis) {
              redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
              // A refused connection shows as the ping's failure on the page, not as an unhandled event.
              redis.on('error', () => undefined);
            }
            await redis.ping();
          })
        : undefined,
    ]);
    const counts = cacheCounts(context);
    return renderPage(request, reply, 'health', {
      title: 'Health',
      section: 'health',
      database: { ...database, description: context.database.description, kind: context.database.kind },
      pending,
      pool: context.database.poolStats(),
      redis: redisCheck,
      redisUrl: redisUrl ? redactedUrl(redisUrl) : undefined,
      cache: counts && { ...counts, kind: redisUrl ? 'Redis' : 'in memory', hitRate: counts.hits + counts.misses > 0 ? counts.hits / (counts.hits + counts.misses) : undefined },
      listener: context.database.listenerStatus(),
      process: { uptime: process.uptime(), rss: process.memoryUsage().rss, node: process.version, pid: process.pid },
    });
  });
}

/** A Redis URL without its password, for the page. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
