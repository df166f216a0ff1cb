import type { FastifyInstance } from 'fastify';

/**
 * One log line per request, when it is answered: method, route pattern, URL,
 * status, time and (through the request's child logger) the tenant's schema.
 * Fastify's own request logging, two lines without the tenant, is off.
 */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        route: request.routeOptions.url,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}
