import { Redis } from 'ioredis';
import type { Cache } from './cache.ts';
import { CACHE_TTL_SECONDS } from './cache.ts';

const versionKey = (key: string) => `${key}#version`;

const SET_IF_VERSION = `
if (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
end
return 0`;

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

  async version(key: string): Promise<string> {
    return (await this.#redis.get(versionKey(key))) ?? '0';
  }

  async set(key: string, value: unknown, version?: string): Promise<void> {
    const text = JSON.stringify(value);
    if (version === undefined) {
      await this.#redis.set(key, text, 'EX', CACHE_TTL_SECONDS);
      return;
    }
    // Check and write atomically: an invalidation between the two would otherwise be lost.
    await this.#redis.eval(SET_IF_VERSION, 2, key, versionKey(key), text, version, String(CACHE_TTL_SECONDS));
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.#redis.multi().del(...keys);
    for (const key of keys) pipeline.incr(versionKey(key)).expire(versionKey(key), CACHE_TTL_SECONDS * 2);
    await pipeline.exec();
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => undefined);
  }
}
