import type { Cache } from './cache.ts';
import { CACHE_TTL_SECONDS } from './cache.ts';

interface Entry {
  value: unknown;
  expiresAt: number;
}

/**
 * The process-local cache: a bounded map in insertion (least recently set)
 * order. Other instances hear of invalidations through `broadcast` (PostgreSQL
 * NOTIFY), and call {@link MemoryCache.drop} when they do.
 */
export class MemoryCache implements Cache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly broadcast: (keys: readonly string[]) => Promise<void> = async () => {},
    private readonly maxEntries = 10_000,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return structuredClone(entry.value) as T;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, { value: structuredClone(value), expiresAt: Date.now() + CACHE_TTL_SECONDS * 1000 });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    this.drop(keys);
    await this.broadcast(keys);
  }

  /** Forgets keys locally (an invalidation heard from another instance). */
  drop(keys: readonly string[]): void {
    for (const key of keys) this.#entries.delete(key);
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
