/**
 * Who a bearer token belongs to, remembered in process memory: resolving it
 * is a query on every authenticated request otherwise, and at a few thousand
 * requests a second that query is most of the work.
 *
 * An entry is the user a token belongs to and their role in one organization.
 * It is forgotten when anything it was read from changes — the token is
 * revoked or spent, the user is changed or deleted, a membership of the user
 * is written — here at once ({@link credentialsChanged} after the write
 * commits), in every other server process through NOTIFY, and in any case
 * after {@link CREDENTIAL_TTL_MS}, which bounds staleness should a
 * notification ever be lost. Token expiry is checked on every hit.
 */
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { RoleName } from './memberships.ts';

/** The NOTIFY channel that carries the ids of users whose credentials changed. */
export const CREDENTIALS_CHANNEL = 'plio_credentials_changed';

/** The longest an entry is trusted without being read again. */
export const CREDENTIAL_TTL_MS = 60_000;

/** What authentication learns from a token. */
export interface Credential {
  readonly user: { readonly id: number; readonly email: string | null; readonly mobile: string | null; readonly isSuperuser: boolean };
  /** The role in the organization the entry was read for (`undefined`: not a member, or no organization). */
  readonly role: RoleName | undefined;
  readonly tokenExpiresAt: Date;
}

interface Entry {
  readonly credential: Credential;
  readonly cachedAt: number;
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
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every forget: a read that began before one is not stored. */
  #changes = 0;
  readonly #onChanged = (userIds: readonly number[] | 'all') => this.forget(userIds);

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = CREDENTIAL_TTL_MS,
  ) {
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
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.credential.tokenExpiresAt <= now || Date.now() - entry.cachedAt > this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.credential;
  }

  /** Read before loading what {@link set} will store. */
  stamp(): number {
    return this.#changes;
  }

  /** Remembers a credential unless something changed since `stamp` was read. */
  set(tokenHash: string, organizationId: number | null, credential: Credential, stamp: number): void {
    if (stamp !== this.#changes) return;
    this.#entries.set(entryKey(tokenHash, organizationId), { credential, cachedAt: Date.now() });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Drops the entries of `userIds`, or every entry (a NOTIFY may have been missed). */
  forget(userIds: readonly number[] | 'all'): void {
    this.#changes++;
    if (userIds === 'all') {
      this.#entries.clear();
      return;
    }
    const ids = new Set(userIds);
    for (const [key, entry] of this.#entries) {
      if (ids.has(entry.credential.user.id)) this.#entries.delete(key);
    }
  }

  /** Applies a NOTIFY payload from another process: comma-separated user ids. */
  forgetFromNotification(payload: string): void {
    const ids = payload.split(',').map(Number);
    this.forget(ids.every(Number.isSafeInteger) ? ids : 'all');
  }
}

const entryKey = (tokenHash: string, organizationId: number | null) => `${tokenHash}:${organizationId ?? ''}`;
