import type { Cache } from './cache.ts';

/** Hits and misses of a cache's reads since the process started. */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
}

/** A cache that counts its hits and misses (for `/metrics` and the console's health page). */
export class CountingCache implements Cache {
  #hits = 0;
  #misses = 0;

  constructor(private readonly inner: Cache) {}

  get counts(): CacheCounts {
    return { hits: this.#hits, misses: this.#misses };
  }

  async get<T>(key: string): Promise<T | undefined> {
    const value = await this.inner.get<T>(key);
    if (value === undefined) this.#misses++;
    else this.#hits++;
    return value;
  }

  version(key: string): Promise<string> {
    return this.inner.version(key);
  }

  set(key: string, value: unknown, version?: string): Promise<void> {
    return this.inner.set(key, value, version);
  }

  invalidate(keys: readonly string[]): Promise<void> {
    return this.inner.invalidate(keys);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
