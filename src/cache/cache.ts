/**
 * A cache of serialized objects shared by the features (plios now, users
 * later). Keys always carry the tenant's schema, so the same id in two
 * workspaces can never answer for the other.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  /**
   * A token that changes whenever `key` is invalidated. Read it before
   * loading what you will cache, and pass it to `set`: a load that raced with
   * a write is then never cached (the write's invalidation came in between).
   */
  version(key: string): Promise<string>;
  /** Stores `value`, unless `key` was invalidated since `version` was read. */
  set(key: string, value: unknown, version?: string): Promise<void>;
  /** Drops the keys here and in every other server instance. */
  invalidate(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** `plio:<schema>:<kind>:<id>` — the one way keys are spelled. */
export function cacheKey(schema: string, kind: string, id: string | number): string {
  return `plio:${schema}:${kind}:${id}`;
}

/** How long an entry may live even if an invalidation were ever missed. */
export const CACHE_TTL_SECONDS = 60 * 60;
