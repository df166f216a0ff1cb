import type { Cache } from './cache.ts';
import { CACHE_TTL_SECONDS } from './cache.ts';

interface Entry {
  /** The value as JSON: what Redis would hold, so both caches hand back the same values (and fresh copies). */
  json: string;
  expiresAt: number;
}

/**
 * The process-local cache: a bounded map in insertion (least recently set)
 * order. Other instances hear of invalidations through `broadcast` (PostgreSQL
 * NOTIFY), and call {@link MemoryCache.drop} when they do, or
 * {@link MemoryCache.clear} when they may have missed some.
 */
export class MemoryCache implements Cache {
  readonly #entries = new Map<string, Entry>();
  /** Invalidations per key; reset (with a new generation) when it grows too large. */
  readonly #invalidations = new Map<string, number>();
  #generation = 0;

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
    return JSON.parse(entry.json) as T;
  }

  async version(key: string): Promise<string> {
    return `${this.#generation}:${this.#invalidations.get(key) ?? 0}`;
  }

  async set(key: string, value: unknown, version?: string): Promise<void> {
    if (version !== undefined && version !== (await this.version(key))) return;
    this.#entries.delete(key);
    this.#entries.set(key, { json: JSON.stringify(value), expiresAt: Date.now() + CACHE_TTL_SECONDS * 1000 });
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
    if (this.#invalidations.size > this.maxEntries * 10) this.#newGeneration();
    for (const key of keys) {
      this.#entries.delete(key);
      this.#invalidations.set(key, (this.#invalidations.get(key) ?? 0) + 1);
    }
  }

  /**
   * Forgets every entry, for when invalidations may have been missed. Values
   * loaded before (with an older `version`) are no longer stored either.
   */
  clear(): void {
    this.#entries.clear();
    this.#newGeneration();
  }

  async close(): Promise<void> {
    this.clear();
  }

  /** Starts counting invalidations afresh; every earlier version token stops matching. */
  #newGeneration(): void {
    this.#invalidations.clear();
    this.#generation++;
  }
}
