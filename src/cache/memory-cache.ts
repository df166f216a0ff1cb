import { LRUCache } from 'lru-cache';
import type { Cache } from './cache.ts';
import { CACHE_TTL_SECONDS } from './cache.ts';

/**
 * Invalidation counts kept before starting afresh (a new generation). Each is
 * a key and a number, ~150 bytes: 100,000 of them are ~15 MB.
 */
const MAX_TRACKED_INVALIDATIONS = 100_000;

/** Per-entry bookkeeping of the map and the LRU list, beyond the key and the JSON. */
const ENTRY_OVERHEAD_BYTES = 200;

/**
 * The process-local cache: least recently used entries go first once the
 * values, kept as JSON, exceed a budget in bytes. A budget in entries would
 * not fit the tenant count: 10,000 tenants with a list page and a few plios
 * each are tens of thousands of entries of very different sizes.
 *
 * Values are kept as JSON — what Redis would hold, so both caches hand back
 * the same values, and every read gets a fresh copy. Other instances hear of
 * invalidations through `broadcast` (PostgreSQL NOTIFY), and call
 * {@link MemoryCache.drop} when they do, or {@link MemoryCache.clear} when
 * they may have missed some.
 */
export class MemoryCache implements Cache {
  readonly #entries: LRUCache<string, string>;
  /** Invalidations per key; reset (with a new generation) when it grows too large. */
  readonly #invalidations = new Map<string, number>();
  #generation = 0;

  readonly #broadcast: (keys: readonly string[]) => Promise<void>;

  /**
   * @param options.maxBytes the budget (`CACHE_MEMORY_MB`)
   * @param options.broadcast tells the other instances which keys to drop
   */
  constructor(options: { maxBytes: number; broadcast?: (keys: readonly string[]) => Promise<void> }) {
    this.#broadcast = options.broadcast ?? (async () => {});
    this.#entries = new LRUCache<string, string>({
      maxSize: options.maxBytes,
      // V8 keeps ASCII strings at a byte per character; JSON of our values is nearly all ASCII.
      sizeCalculation: (json, key) => json.length + key.length + ENTRY_OVERHEAD_BYTES,
      ttl: CACHE_TTL_SECONDS * 1000,
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const json = this.#entries.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async version(key: string): Promise<string> {
    return `${this.#generation}:${this.#invalidations.get(key) ?? 0}`;
  }

  async set(key: string, value: unknown, version?: string): Promise<void> {
    if (version !== undefined && version !== (await this.version(key))) return;
    this.#entries.set(key, JSON.stringify(value));
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    this.drop(keys);
    await this.#broadcast(keys);
  }

  /** Forgets keys locally (an invalidation heard from another instance). */
  drop(keys: readonly string[]): void {
    if (this.#invalidations.size + keys.length > MAX_TRACKED_INVALIDATIONS) this.#newGeneration();
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

  /** Bytes the entries take by the budget's measure (at most the budget). */
  get sizeBytes(): number {
    return this.#entries.calculatedSize;
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
