import { Redis } from 'ioredis';
import type { Cache } from './cache.ts';
import { CACHE_TTL_SECONDS } from './cache.ts';

/**
 * The cache in Redis: every server instance reads and deletes the same keys,
 * so an invalidation by one instance is seen by all of them at once.
 */
export class RedisCache implements Cache {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    // Errors surface on the commands; an unhandled 'error' event would crash.
    this.#redis.on('error', () => undefined);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const text = await this.#redis.get(key);
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#redis.set(key, JSON.stringify(value), 'EX', CACHE_TTL_SECONDS);
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.#redis.del(...keys);
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => undefined);
  }
}
