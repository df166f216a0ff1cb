import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { notifyTenancyChanged, tenancyEvents } from './events.ts';

/**
 * The shared advisory lock (two int4 keys: `classid`, `objid` in `pg_locks`)
 * that every serving process holds on its listening session: the sessions
 * holding it are the directories a change must reach.
 */
export const SERVING_LOCK = [0x706c696f /* "plio" */, 1] as const;

/** The channel on which a directory confirms it reloaded after a change: the payload is the change's token. */
export const RELOADED_CHANNEL = 'plio_tenancy_reloaded';

const DEFAULT_TIMEOUT_MS = 5_000;
/** While waiting, how often to look again at who still holds the serving lock (a server that exits stops being waited for). */
const RECHECK_MS = 100;

/** Told which listening sessions (backend pids) did not confirm in time. */
export type UnconfirmedWarning = (pids: readonly number[], timeoutMs: number) => void;

/**
 * Tenancy changes that must have reached every server process before they
 * are reported done (deleting an organization).
 *
 * The changing transaction sends the tenancy NOTIFY with a fresh token and,
 * before it commits, reads from `pg_locks` which listening sessions hold
 * {@link SERVING_LOCK}. Each of those sessions hears the NOTIFY (it listened
 * before taking the lock), reloads its directory, and answers on
 * {@link RELOADED_CHANNEL} from that same session. After the commit we wait
 * until every one of them answered, has gone, or the timeout passed (then a
 * warning names the silent ones: the change is committed either way).
 *
 * It works the same from a server and from the CLI: the CLI holds no
 * serving lock, it only listens for the answers. On the embedded database
 * there is one process, whose own directory reloads in-process before any
 * lookup: nothing to wait for; nor for a registry made without a database
 * ({@link ReloadConfirmations.none}).
 */
export class ReloadConfirmations {
  /** Per change token, the sessions that have not confirmed yet. */
  readonly #waiting = new Map<string, Pending>();
  #listening: Promise<void> | undefined;

  constructor(
    private readonly database: Database | undefined,
    private readonly warn: UnconfirmedWarning,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  /** Announces changes and waits for no one. */
  static none(): ReloadConfirmations {
    return new ReloadConfirmations(undefined, () => undefined);
  }

  /**
   * Runs `work` in a transaction that announces a tenancy change, then
   * resolves once every serving process has reloaded its directory.
   */
  async transaction<T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    if (this.database?.kind !== 'postgres') {
      const result = await db.transaction().execute(async (trx) => {
        const done = await work(trx);
        await notifyTenancyChanged(trx);
        return done;
      });
      tenancyEvents.emit('changed');
      return result;
    }
    await (this.#listening ??= this.database.listen(RELOADED_CHANNEL, (token, sender) => this.#confirmed(token, sender)));
    const token = randomUUID();
    try {
      const result = await db.transaction().execute(async (trx) => {
        const done = await work(trx);
        await notifyTenancyChanged(trx, token);
        // pg_locks is not transactional: this is who listens now, and every
        // one of them listened before this commit, so each will hear it.
        this.#waiting.set(token, new Pending(await servingSessions(trx)));
        return done;
      });
      tenancyEvents.emit('changed');
      await this.#allConfirmed(db, token);
      return result;
    } finally {
      this.#waiting.delete(token);
    }
  }

  #confirmed(token: string, sender: number): void {
    this.#waiting.get(token)?.confirm(sender);
  }

  async #allConfirmed(db: Kysely<DB>, token: string): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const pending = this.#waiting.get(token)!;
    while (!pending.complete) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.warn(pending.sessions, this.timeoutMs);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const recheck = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(RECHECK_MS, left))));
      await Promise.race([pending.done, recheck]);
      clearTimeout(timer);
      if (!pending.complete) pending.keepOnly(await servingSessions(db));
    }
  }
}

/** The sessions one change still waits for; `done` resolves when none is left. */
class Pending {
  readonly #sessions: Set<number>;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor(sessions: readonly number[]) {
    this.#sessions = new Set(sessions);
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    this.#settle();
  }

  get complete(): boolean {
    return this.#sessions.size === 0;
  }

  get sessions(): number[] {
    return [...this.#sessions];
  }

  confirm(session: number): void {
    this.#sessions.delete(session);
    this.#settle();
  }

  /** Forgets sessions that no longer hold the serving lock: their process stopped serving. */
  keepOnly(alive: readonly number[]): void {
    const living = new Set(alive);
    for (const session of this.#sessions) if (!living.has(session)) this.#sessions.delete(session);
    this.#settle();
  }

  #settle(): void {
    if (this.complete) this.#resolve();
  }
}

async function servingSessions(db: Kysely<DB>): Promise<number[]> {
  const [classKey, objectKey] = SERVING_LOCK;
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_locks
    where locktype = 'advisory' and classid = ${classKey}::oid and objid = ${objectKey}::oid
      and objsubid = 2 and mode = 'ShareLock' and granted`.execute(db);
  return rows.map((row) => row.pid);
}
