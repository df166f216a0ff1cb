import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.ts';

/** Liveness (`/health`) and readiness (`/ready`: database reachable, migrations current). */
export async function healthRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(context.db);
    } catch (error) {
      request.log.warn({ err: error }, 'database unreachable');
      return reply.status(503).send({ status: 'unavailable', detail: 'Database unreachable.' });
    }
    const pending = await context.tenancy.migrator.pendingCount();
    if (pending > 0) {
      return reply.status(503).send({ status: 'unavailable', detail: `${pending} schema(s) are not migrated.` });
    }
    return { status: 'ready' };
  });
}
