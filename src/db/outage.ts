/**
 * Tells a database outage (unreachable, shutting down, overloaded, too slow)
 * from every other database error, for both drivers: the caller answers
 * 503 with `Retry-After` instead of a 500, and the pool recovers by itself
 * once the server is back.
 */
import { pgErrorCode } from './db-errors.ts';

/** SQLSTATE classes and codes that mean "not now", not "not this". */
const UNAVAILABLE_CLASSES = ['08', '53', '57']; // connection exception, insufficient resources, operator intervention (incl. 57014 statement timeout)
const UNAVAILABLE_CODES = new Set([
  '40001', // serialization_failure: retrying succeeds
  '40P01', // deadlock_detected: one side was chosen to retry
  '55P03', // lock_not_available (lock_timeout)
]);

/** Socket errors of a connection that could not be made or was lost. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * `pg` reports its own timeouts and lost connections by message only (no
 * code): the pool's acquire timeout, the client's connect and read
 * timeouts, a connection that ended under a query.
 */
const DRIVER_MESSAGES = [
  /timeout exceeded (?:when trying to connect|waiting for the embedded database)/i,
  /^timeout expired$/i, // the pool gave up on a connection it was opening
  /connection terminated/i,
  /query read timeout/i,
  /connection (?:is )?not queryable|client has encountered a connection error/i,
  /database is not accepting connections/i,
];

/**
 * A pooler's refusal that comes as a connection exception (08P01) but is a
 * configuration mistake, which retrying cannot mend: PgBouncer refuses
 * `statement_timeout` unless told to ignore it (docs/security.md).
 */
const MISCONFIGURATION = /unsupported startup parameter/i;

export function isDatabaseOutage(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  if (MISCONFIGURATION.test(message)) return false;
  const code = pgErrorCode(error);
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
  }
  return DRIVER_MESSAGES.some((pattern) => pattern.test(message));
}
