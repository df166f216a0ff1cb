import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.ts';
import type { TrustProxy } from '../config.ts';
import type { Feature } from '../feature.ts';
import { installErrorHandling } from './errors.ts';
import { healthRoutes } from './health.ts';
import { installInputGuard } from './input-guard.ts';
import { metricsRoutes } from './metrics.ts';
import { RequestLog } from './request-log.ts';
import { installTenantResolution, pathDomainRewriter } from './tenant-hook.ts';

/**
 * Assembles the HTTP application: tenant resolution, CORS for the web
 * client, errors, the OpenAPI document, health checks and every feature's
 * routes. Listening is the caller's business (`inject()` in tests).
 */
export async function buildApp(context: AppContext, features: readonly Feature[]): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: context.log as FastifyBaseLogger,
    logController: new RequestLog(),
    routerOptions: { ignoreTrailingSlash: true },
    rewriteUrl: pathDomainRewriter(() => context.directory),
    // Client address and host from X-Forwarded-* only behind the proxies TRUST_PROXY names:
    // the per-address abuse limits count request.ip.
    trustProxy: trustProxyOption(context.config.trustProxy),
  });

  await app.register(cors, {
    origin: context.config.corsOrigins ?? true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'organization', 'accept'],
    credentials: true,
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Plio API', version: '1.0.0', description: 'Interactive video platform: multi-tenant API.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  installErrorHandling(app);
  installInputGuard(app);
  installTenantResolution(app, context.database, context.directory);
  await healthRoutes(app, context);
  await metricsRoutes(app, context);
  for (const feature of features) await feature.routes?.(app, context);
  return app;
}

/** Fastify's option; a number of hops as a function (its types leave numbers out). */
function trustProxyOption(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}
