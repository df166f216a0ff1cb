/**
 * Bounds on every wait for PostgreSQL, as `pg` pool options: a stopped,
 * frozen or overloaded server turns into errors within a known time (which
 * the HTTP layer answers as 503, see `outage.ts`) instead of requests that
 * hang for as long as the outage lasts.
 */
import type { Socket } from 'node:net';
import pg from 'pg';
import type { DatabaseTimeouts } from '../config.ts';

/**
 * How much longer than `statement_timeout` the client waits for a silent
 * connection: a live server cancels the statement first (a clean error, the
 * connection stays usable); only a frozen or unreachable one lets the client
 * give up.
 */
const SILENCE_GRACE_MS = 1000;

/**
 * - waiting for a free connection: `acquireMs` (the pool's `connectionTimeoutMillis`);
 * - opening one: `connectMs` (each client's own `connectionTimeoutMillis`);
 * - one statement: `statementMs`, enforced by the server (`statement_timeout`,
 *   a startup parameter) and, `SILENCE_GRACE_MS` later, by the client, which
 *   closes the silent connection so that the pool replaces it.
 */
export function boundedPoolOptions(timeouts: DatabaseTimeouts): pg.PoolConfig {
  const { connectMs, statementMs, acquireMs } = timeouts;
  class BoundedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectMs });
      // A connection lost under a query fails that query, which its caller
      // handles; the same error is also emitted, and while the client is
      // borrowed nobody else listens: unheard, it would end the process.
      this.on('error', () => {});
      if (statementMs > 0) closeWhenSilent(this, statementMs + SILENCE_GRACE_MS);
    }
  }
  return {
    Client: BoundedClient,
    connectionTimeoutMillis: acquireMs,
    ...(statementMs > 0 && { statement_timeout: statementMs }),
  };
}

/**
 * Wraps `client.query` so that a query unanswered after `ms` closes the
 * connection: the query fails ("Connection terminated"), so do the ones
 * queued behind it, and the pool drops the client when it is released.
 * (`pg`'s own `query_timeout` leaves the connection busy with the
 * unanswered query, so the next request that borrows it waits too.)
 * Cursors (streamed reports) are left alone: they read for as long as the
 * report takes, and the server's `statement_timeout` bounds each read.
 */
function closeWhenSilent(client: pg.Client, ms: number): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const result = query(...args);
    if (!(result instanceof Promise)) return result;
    const timer = setTimeout(() => (client as unknown as { connection: { stream: Socket } }).connection.stream.destroy(), ms);
    return result.finally(() => clearTimeout(timer));
  }) as typeof client.query;
}
