import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext } from '../app-context.ts';
import { cacheCounts } from '../cache/index.ts';

/** Seconds: from a cached read to a slow report. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What a request that matched no route is counted under (its URL would grow without bound). */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * `GET /metrics` in Prometheus's text format: requests by route pattern and
 * status with latency histograms, the database pool, cache hits and misses,
 * the organization count and the schemas behind, plus Node's own figures.
 *
 * No label takes values that grow with tenants or users: routes are
 * patterns (`/api/v1/plios/:uuid/`), never URLs; tenants are counted, not
 * named. Each app has its own registry, so several in one process (tests)
 * never mix their figures.
 */
export async function metricsRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({ name: 'plio_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'plio_http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });

  const pool = (name: string, help: string, read: (stats: NonNullable<ReturnType<typeof context.database.poolStats>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = context.database.poolStats();
        if (stats) this.set(read(stats));
      },
    });
  // The embedded database is one in-process handle: no pool, no pool figures.
  if (context.database.poolStats()) {
    pool('plio_db_pool_connections', 'Open database connections', (stats) => stats.total);
    pool('plio_db_pool_in_use', 'Database connections running a query', (stats) => stats.total - stats.idle);
    pool('plio_db_pool_waiting', 'Queries waiting for a database connection', (stats) => stats.waiting);
    pool('plio_db_pool_max', 'Most database connections the pools open (the shared one and each tenant share)', (stats) => stats.max);
  }

  // Counters that mirror the cache's own counts: each scrape adds what happened since the last.
  const mirrored = (name: string, help: string, read: () => number | undefined) => {
    let reported = 0;
    return new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = read() ?? reported;
        this.inc(now - reported);
        reported = now;
      },
    });
  };
  mirrored('plio_cache_hits_total', 'Reads answered from the cache of serialized plios and lists', () => cacheCounts(context)?.hits);
  mirrored('plio_cache_misses_total', 'Reads the cache could not answer', () => cacheCounts(context)?.misses);

  const fromDatabase = (name: string, help: string, read: () => Promise<number>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set(await read());
        } catch (error) {
          // An unreachable database must not cost the other figures; the gauge is left out.
          this.reset();
          context.log.warn({ err: error, metric: name }, 'metric not collected');
        }
      },
    });
  fromDatabase('plio_organizations', 'Live organizations (tenants), the public tenant included', async () => {
    const { rows } = await sql<{ count: number }>`select count(*)::int as count from public.organization where deleted_at is null`.execute(context.db);
    return rows[0]?.count ?? 0;
  });
  fromDatabase('plio_schemas_behind', 'Schemas not at the latest migration', () => context.tenancy.migrator.pendingCount());

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
