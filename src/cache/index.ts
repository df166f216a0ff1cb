import { sql } from 'kysely';
import type { AppContext } from '../app-context.ts';
import type { Cache } from './cache.ts';
import { CountingCache, type CacheCounts } from './counting-cache.ts';
import { MemoryCache } from './memory-cache.ts';
import { RedisCache } from './redis-cache.ts';

export { cacheKey, type Cache } from './cache.ts';
export type { CacheCounts } from './counting-cache.ts';

/** The NOTIFY channel that carries in-memory cache invalidations between instances. */
const CACHE_CHANNEL = 'plio_cache_invalidated';

const caches = new WeakMap<AppContext, CountingCache>();

/**
 * The process's cache: Redis when `REDIS_URL` is set, otherwise in memory
 * with invalidations sent to the other instances through PostgreSQL NOTIFY.
 * Call {@link openCache} at boot; features then reach it with {@link cacheFor}.
 */
export async function openCache(context: AppContext): Promise<Cache> {
  const existing = caches.get(context);
  if (existing) return existing;
  let cache: Cache;
  if (context.config.redisUrl) {
    cache = new RedisCache(context.config.redisUrl);
  } else {
    const memory = new MemoryCache({
      maxBytes: context.config.cacheMemoryBytes,
      broadcast: async (keys) => {
        await sql`select pg_notify(${CACHE_CHANNEL}, ${JSON.stringify(keys)})`.execute(context.db);
      },
    });
    await context.database.listen(
      CACHE_CHANNEL,
      (payload) => {
        try {
          memory.drop(JSON.parse(payload) as string[]);
        } catch {
          context.log.warn({ payload }, 'malformed cache invalidation');
        }
      },
      // invalidations sent while the connection was down are lost: any entry may be stale
      () => memory.clear(),
    );
    cache = memory;
  }
  const counted = new CountingCache(cache);
  caches.set(context, counted);
  return counted;
}

export function cacheFor(context: AppContext): Cache {
  const cache = caches.get(context);
  if (!cache) throw new Error('the cache is not open: openCache(context) runs at boot');
  return cache;
}

/** Hits and misses of the process's cache; `undefined` before {@link openCache}. */
export function cacheCounts(context: AppContext): CacheCounts | undefined {
  return caches.get(context)?.counts;
}

export async function closeCache(context: AppContext): Promise<void> {
  await caches.get(context)?.close();
  caches.delete(context);
}
