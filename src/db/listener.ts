import pg from 'pg';

/** The wait before the first reconnection attempt; it doubles after each failure. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

interface Subscriber {
  /** `sender` is the PostgreSQL backend pid of the session that sent the NOTIFY. */
  onMessage(payload: string, sender: number): void;
  onMissed?(): void;
}

/**
 * The one PostgreSQL connection a process LISTENs on, for every channel (a
 * pooled connection cannot: the pool hands it to other queries).
 *
 * PostgreSQL keeps no notifications for a session that is gone, so when the
 * connection is lost (a server restart, `pg_terminate_backend`) the listener
 * reconnects with backoff until closed, LISTENs again, and only then calls
 * every `onMissed`: whatever was sent in between is then covered.
 *
 * The session can also hold shared advisory locks ({@link hold}): they live
 * exactly as long as the connection that hears notifications, so other
 * processes can see in `pg_locks` who is listening, and by which backend pid.
 */
export interface ListenerStatus {
  readonly state: 'listening' | 'reconnecting' | 'idle' | 'closed';
  readonly channels: number;
}

export class NotificationListener {
  readonly #subscribers = new Map<string, Subscriber[]>();
  /** Shared advisory locks (two int4 keys) taken on every connection, after its LISTENs. */
  readonly #locks: (readonly [number, number])[] = [];
  /** The current connection, from the moment it is opened until it is lost. */
  #client: pg.Client | undefined;
  /** The current connection's opening: true once it listens on every channel. */
  #ready: Promise<boolean> | undefined;
  /** The timer of the next attempt, while there is no connection. */
  #retry: NodeJS.Timeout | undefined;
  #retryDelay = FIRST_RETRY_MS;
  #closed = false;

  constructor(private readonly newClient: () => pg.Client) {}

  /**
   * Subscribes, and resolves once the channel is listened on. It does not
   * reject when the connection fails: the subscription stands, the listener
   * keeps trying, and `onMissed` reports when it listens again.
   */
  async listen(channel: string, onMessage: (payload: string, sender: number) => void, onMissed?: () => void): Promise<void> {
    if (this.#closed) throw new Error('cannot listen: the database is closed');
    this.#subscribers.set(channel, [...(this.#subscribers.get(channel) ?? []), { onMessage, onMissed }]);
    if (this.#retry) return; // between connections: the next one listens on every channel
    const ready = (this.#ready ??= this.#open());
    // A connection opened earlier (or lost meanwhile) may not know the channel yet.
    if ((await ready) && this.#ready === ready) await this.#run(this.#client!, listenStatement(channel));
  }

  /**
   * Holds a shared advisory lock on the listening session, now and after
   * every reconnection. It is taken after the LISTENs, so whoever sees it
   * granted in `pg_locks` knows this session hears notifications committed
   * from then on. Resolves once held (or once the connection failed: the
   * next one takes it).
   */
  async hold(key: readonly [number, number]): Promise<void> {
    if (this.#closed) throw new Error('cannot hold a lock: the database is closed');
    this.#locks.push(key);
    if (this.#retry) return;
    const ready = (this.#ready ??= this.#open());
    if ((await ready) && this.#ready === ready) await this.#run(this.#client!, lockStatement(key));
  }

  /**
   * Sends a NOTIFY from the listening session itself, so that receivers see
   * it come from the backend pid that holds this listener's locks. Dropped
   * when there is no connection: the locks went with it.
   */
  async notify(channel: string, payload: string): Promise<void> {
    const client = this.#client;
    if (!client || !(await this.#ready)) return;
    if (client === this.#client) await this.#run(client, { text: 'select pg_notify($1, $2)', values: [channel, payload] });
  }

  /** For health pages: how many channels are subscribed, and whether a connection is up (or being retried). */
  get status(): ListenerStatus {
    const channels = this.#subscribers.size;
    const state = this.#closed ? 'closed' : this.#retry ? 'reconnecting' : this.#client ? 'listening' : 'idle';
    return { state, channels };
  }

  /** Stops listening and reconnecting. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#ready = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Connects and LISTENs on every channel: true when done, false when the connection was lost on the way. */
  async #open(): Promise<boolean> {
    const client = this.newClient();
    this.#client = client;
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => this.#deliver(message));
    try {
      await client.connect();
      // keys() also yields channels subscribed while this loop waits
      for (const channel of this.#subscribers.keys()) await client.query(listenStatement(channel));
      for (const key of this.#locks) await client.query(lockStatement(key));
    } catch {
      this.#lost(client);
    }
    return this.#client === client;
  }

  async #run(client: pg.Client, statement: string | pg.QueryConfig): Promise<void> {
    try {
      await client.query(statement);
    } catch {
      this.#lost(client); // the reconnection will listen (and lock) again
    }
  }

  #deliver(message: pg.Notification): void {
    for (const subscriber of this.#subscribers.get(message.channel) ?? []) notifySafely(() => subscriber.onMessage(message.payload ?? '', message.processId));
  }

  /** Drops a failed connection (once: errors and its end both report it) and schedules the next. */
  #lost(client: pg.Client): void {
    if (client !== this.#client) return; // already handled, or closed
    this.#client = undefined;
    this.#ready = undefined;
    client.end().catch(() => undefined); // it may still be open when only a query failed
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(delay * 2, MAX_RETRY_MS);
    // unref: a pending retry alone should not keep the process alive
    this.#retry = setTimeout(() => void this.#reconnect(), delay).unref();
  }

  async #reconnect(): Promise<void> {
    this.#retry = undefined;
    const ready = (this.#ready = this.#open());
    if (!(await ready) || this.#ready !== ready) return; // lost again: the next attempt is scheduled
    this.#retryDelay = FIRST_RETRY_MS;
    for (const subscribers of this.#subscribers.values()) for (const subscriber of subscribers) notifySafely(() => subscriber.onMissed?.());
  }
}

/** Runs a subscriber's callback: one that throws must not stop the others or the connection's events. */
function notifySafely(callback: () => void): void {
  try {
    callback();
  } catch {
    // the subscriber's own failure; nothing here can mend it
  }
}

function listenStatement(channel: string): string {
  return `listen ${pg.escapeIdentifier(channel)}`;
}

function lockStatement([classKey, objectKey]: readonly [number, number]): pg.QueryConfig {
  return { text: 'select pg_advisory_lock_shared($1::int4, $2::int4)', values: [classKey, objectKey] };
}
