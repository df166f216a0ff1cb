/**
 * Small pieces the content and learning routes share: path ids, the
 * reference's "no such row" answer, and the 401 that comes before validation.
 * Who may reach a row is decided in `plio-access.ts` and `asset-access.ts`.
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

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers without a login (plio play). */
    anonymous?: boolean;
  }
}

/**
 * Answers 401 without a login (except `anonymous` routes) before body
 * validation, so that the answers come in the reference's order: 401, then
 * 400 for bad input. (Input nothing can store is refused earlier, for every
 * route, by `src/http/input-guard.ts`.)
 */
export function requireSignInBeforeValidation(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (!request.user && !request.routeOptions.config.anonymous) throw errors.notAuthenticated();
  });
}

/** JSON for a jsonb column: `undefined` stays unset, everything else is stored as given. */
export function toJsonColumn(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}
