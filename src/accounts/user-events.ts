import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** The Redis channel on which every server instance hears of changed users. */
export const USER_CHANGED_CHANNEL = 'plio:user-changed';

/**
 * "This user changed" notices (their memberships, their status), heard by
 * every server instance so each can push the user to its own sockets.
 * In-process without Redis; through Redis pub/sub with `REDIS_URL`.
 */
export interface UserEvents {
  publish(userId: number): Promise<void>;
  /** Returns the function that stops listening. */
  subscribe(listener: (userId: number) => void): () => void;
  /** Resolves once notices from other instances are heard. */
  ready(): Promise<unknown>;
  close(): Promise<void>;
}

export function createUserEvents(redisUrl: string | undefined, log: Logger): UserEvents {
  return redisUrl ? new RedisUserEvents(redisUrl, log) : new LocalUserEvents();
}

class LocalUserEvents implements UserEvents {
  readonly #emitter = new EventEmitter<{ changed: [number] }>().setMaxListeners(0);

  async publish(userId: number): Promise<void> {
    this.#emitter.emit('changed', userId);
  }

  subscribe(listener: (userId: number) => void): () => void {
    this.#emitter.on('changed', listener);
    return () => this.#emitter.off('changed', listener);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/** A subscriber connection can run no other command, hence two connections. */
class RedisUserEvents implements UserEvents {
  readonly #local = new LocalUserEvents();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #ready: Promise<unknown>;

  constructor(url: string, log: Logger) {
    this.#publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.#subscriber = new Redis(url, { lazyConnect: false });
    for (const connection of [this.#publisher, this.#subscriber]) {
      connection.on('error', (error: Error) => log.warn({ err: error }, 'redis connection error (user events)'));
    }
    this.#subscriber.on('message', (_channel: string, message: string) => {
      const userId = Number(message);
      if (Number.isSafeInteger(userId)) void this.#local.publish(userId);
    });
    this.#ready = this.#subscriber.subscribe(USER_CHANGED_CHANNEL);
  }

  async publish(userId: number): Promise<void> {
    await this.#publisher.publish(USER_CHANGED_CHANNEL, String(userId));
  }

  subscribe(listener: (userId: number) => void): () => void {
    return this.#local.subscribe(listener);
  }

  ready(): Promise<unknown> {
    return this.#ready;
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#subscriber.disconnect();
    this.#publisher.disconnect();
  }
}
