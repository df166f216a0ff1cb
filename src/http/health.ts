import { sql } from 'kysely';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../app-context.ts';
import { errors } from '../errors.ts';

/**
 * How long `/ready` waits for the database. Load balancers probe readiness
 * with a timeout of about a second; an answer after that is no answer, so a
 * stopped, frozen or saturated database is reported as unavailable in time.
 */
export const READY_DEADLINE_MS = 700;

/** Liveness (`/health`) and readiness (`/ready`: database reachable, migrations current). */
export async function healthRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    const probe = (async () => {
      await sql`select 1`.execute(context.db);
      return context.tenancy.migrator.pendingCount();
    })();
    let pending: number | 'late';
    try {
      pending = await withinDeadline(probe, READY_DEADLINE_MS);
    } catch (error) {
      request.log.warn({ err: error }, 'database unreachable');
      return unavailable(reply, 'Database unreachable.');
    }
    if (pending === 'late') {
      // The probe goes on in the background and ends within the pool's own timeouts.
      probe.catch(() => {});
      return unavailable(reply, `Database did not answer within ${READY_DEADLINE_MS} ms.`);
    }
    if (pending > 0) return unavailable(reply, `${pending} schema(s) are not migrated.`);
    return { status: 'ready' };
  });
}

function unavailable(reply: FastifyReply, detail: string) {
  const { retryAfter } = errors.databaseUnavailable();
  return reply.status(503).header('retry-after', String(retryAfter)).send({ status: 'unavailable', detail });
}

async function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
