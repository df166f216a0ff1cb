/**
 * Small pieces the content and learning routes share: path ids, the
 * reference's "no such row" answer, and the guard against text PostgreSQL
 * cannot store. Who may reach a row is decided in `plio-access.ts` and
 * `asset-access.ts`.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../errors.ts';

/** A numeric path id; anything else is a 404, as the reference's router gives. */
export function parseId(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw errors.notFound();
  return Number(raw);
}

export const IdParams = Type.Object({ id: Type.String() });
export const UuidParams = Type.Object({ uuid: Type.String() });

/** A reference to another row by id, or null. */
export const RowId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

/** Any JSON value (config, meta, options, answers...). */
export const AnyJson = Type.Unknown();

function containsNul(value: unknown, depth = 0): boolean {
  if (depth > 64) return true;
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some((entry) => containsNul(entry, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, entry]) => key.includes('\u0000') || containsNul(entry, depth + 1));
  }
  return false;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers without a login (plio play). */
    anonymous?: boolean;
  }
}

/**
 * Runs before body validation, so the answers come in the reference's order:
 * 401 without a login (except `anonymous` routes), then 400 for bad input.
 * A write with no body is an empty object. PostgreSQL stores no NUL
 * character in text or jsonb; such input (and absurdly deep JSON) is a 400
 * before it reaches a query.
 */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (!request.user && !request.routeOptions.config.anonymous) throw errors.notAuthenticated();
    if ((request.body === undefined || request.body === null) && request.method !== 'GET') request.body = {};
    if (containsNul(request.body) || containsNul(request.query) || containsNul(request.params)) {
      throw errors.badRequest('Null characters are not allowed.');
    }
  });
}

/** JSON for a jsonb column: `undefined` stays unset, everything else is stored as given. */
export function toJsonColumn(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}
