/** `…/:id/setting/` of users and organizations: PATCH replaces `config.settings`, other methods are a 405. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../errors.ts';
import { requireUser } from './current-user.ts';
import { bodyOf, isPlainObject } from './request-input.ts';

/** The stored config with its `settings` replaced by the request body. */
export function configWithSettings(config: unknown, request: FastifyRequest): Record<string, unknown> {
  return { ...(isPlainObject(config) ? config : {}), settings: bodyOf(request) };
}

/** Answers the reference's 405 to every method but PATCH on a setting URL (after the 401 check). */
export function refuseOtherSettingMethods(app: FastifyInstance, url: string): void {
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url,
    schema: { hide: true },
    handler: async (request) => {
      requireUser(request);
      throw errors.methodNotAllowed(request.method);
    },
  });
}
