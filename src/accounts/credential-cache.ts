/**
 * Who a bearer token belongs to, remembered in process memory: resolving it
 * is a query on every authenticated request otherwise, and at a few thousand
 * requests a second that query is most of the work.
 *
 * An entry is the user a token belongs to and their role in one organization.
 * Correctness rests on invalidation, not on age: an entry is forgotten when
 * anything it was read from changes — the token is revoked or spent, the user
 * is changed or deleted, a membership of the user is written — here at once
 * ({@link credentialsChanged} after the write commits), in every other server
 * process through NOTIFY, and entirely whenever the listening connection was
 * lost (notifications may have been missed). Token expiry is checked on every
 * hit. {@link CREDENTIAL_TTL_MS} is only a backstop for writes made behind the
 * application's back (SQL without `credentialsChanged`), so it is long: a
 * short one made most requests re-read their token once the entries of
 * 10,000 tenants were spread over its window.
 *
 * The entries are bounded by bytes, least recently used first, so the budget
 * holds however many tenants and users an installation has.
 */
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { DB } from '../db/schema.ts';
import type { RoleName } from './memberships.ts';

/** The NOTIFY channel that carries the ids of users whose credentials changed. */
export const CREDENTIALS_CHANNEL = 'plio_credentials_changed';

/** The longest an entry is trusted without being read again (a backstop: see above). */
export const CREDENTIAL_TTL_MS = 15 * 60_000;

/** The default budget: about 150,000 entries. */
export const CREDENTIAL_CACHE_BYTES = 64 * 1024 * 1024;

/** An entry's map slot, key, frozen objects and LRU links, beyond its strings. */
const ENTRY_OVERHEAD_BYTES = 400;

/** What authentication learns from a token. */
export interface Credential {
  readonly user: { readonly id: number; readonly email: string | null; readonly mobile: string | null; readonly isSuperuser: boolean };
  /** The role in the organization the entry was read for (`undefined`: not a member, or no organization). */
  readonly role: RoleName | undefined;
  readonly tokenExpiresAt: Date;
}

/** In-process signal: these users' credentials changed ('all': any user's). */
const credentialEvents = new EventEmitter<{ changed: [userIds: readonly number[] | 'all'] }>();

/**
 * Announces that `userIds`' tokens, account or memberships changed. Call it
 * after the write commits: dropping the entries earlier would let a request
 * read the old rows again and cache them.
 */
export async function credentialsChanged(db: Kysely<DB>, userIds: readonly number[]): Promise<void> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return;
  credentialEvents.emit('changed', ids);
  await sql`select pg_notify(${CREDENTIALS_CHANNEL}, ${ids.join(',')})`.execute(db);
}

export class CredentialCache {
  readonly #entries: LRUCache<string, Credential>;
  /** The keys of each user's entries, so a change forgets them without a scan. */
  readonly #keysByUser = new Map<number, Set<string>>();
  /** Bumped by every forget: a read that began before one is not stored. */
  #changes = 0;
  readonly #onChanged = (userIds: readonly number[] | 'all') => this.forget(userIds);

  constructor(options: { maxBytes?: number; ttlMs?: number } = {}) {
    this.#entries = new LRUCache<string, Credential>({
      maxSize: options.maxBytes ?? CREDENTIAL_CACHE_BYTES,
      sizeCalculation: (credential, key) =>
        key.length + (credential.user.email?.length ?? 0) + (credential.user.mobile?.length ?? 0) + ENTRY_OVERHEAD_BYTES,
      ttl: options.ttlMs ?? CREDENTIAL_TTL_MS,
      // Evicted, expired, replaced or deleted: the user's index follows.
      dispose: (credential, key) => this.#unindex(credential.user.id, key),
    });
    credentialEvents.on('changed', this.#onChanged);
  }

  /** Stops following this process's changes (the app is closing). */
  close(): void {
    credentialEvents.off('changed', this.#onChanged);
    this.#entries.clear();
  }

  /** A token read for an organization (`null`: no organization), if remembered and still valid at `now`. */
  get(tokenHash: string, organizationId: number | null, now: Date): Credential | undefined {
    const key = entryKey(tokenHash, organizationId);
    const credential = this.#entries.get(key);
    if (!credential) return undefined;
    if (credential.tokenExpiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return credential;
  }

  /** Read before loading what {@link set} will store. */
  stamp(): number {
    return this.#changes;
  }

  /** Remembers a credential unless something changed since `stamp` was read. */
  set(tokenHash: string, organizationId: number | null, credential: Credential, stamp: number): void {
    if (stamp !== this.#changes) return;
    const key = entryKey(tokenHash, organizationId);
    this.#entries.set(key, credential);
    // Index after storing: replacing an entry disposes (unindexes) the old one first.
    if (!this.#entries.has(key)) return; // larger than the whole budget
    let keys = this.#keysByUser.get(credential.user.id);
    if (!keys) this.#keysByUser.set(credential.user.id, (keys = new Set()));
    keys.add(key);
  }

  /** Drops the entries of `userIds`, or every entry (a NOTIFY may have been missed). */
  forget(userIds: readonly number[] | 'all'): void {
    this.#changes++;
    if (userIds === 'all') {
      this.#entries.clear();
      return;
    }
    for (const id of new Set(userIds)) {
      for (const key of [...(this.#keysByUser.get(id) ?? [])]) this.#entries.delete(key);
    }
  }

  /** Applies a NOTIFY payload from another process: comma-separated user ids. */
  forgetFromNotification(payload: string): void {
    const ids = payload.split(',').map(Number);
    this.forget(ids.every(Number.isSafeInteger) ? ids : 'all');
  }

  /** Entries held (for tests and measurements). */
  get size(): number {
    return this.#entries.size;
  }

  #unindex(userId: number, key: string): void {
    const keys = this.#keysByUser.get(userId);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.#keysByUser.delete(userId);
  }
}

const entryKey = (tokenHash: string, organizationId: number | null) => `${tokenHash}:${organizationId ?? ''}`;
