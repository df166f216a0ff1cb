import type { FastifyInstance } from 'fastify';
import { PUBLIC_SCHEMA } from '../../tenancy/schema-name.ts';
import type { ConsoleDeps } from '../feature.ts';
import { CONSOLE_PATH } from '../session.ts';
import { redirectWith, renderFragment, renderPage } from '../views.ts';

const MIGRATIONS = `${CONSOLE_PATH}/migrations`;
/** Schemas listed as behind on the page; the count says how many more. */
const BEHIND_SHOWN = 200;

/** Migrations: the latest version, the schemas behind it, and runs with live progress. */
export async function migrationPages(scope: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const { db, tenancy } = deps.context;

  scope.get('/migrations', async (request, reply) => {
    const latest = tenancy.migrator.tenantVersion;
    const [plan, behind] = await Promise.all([
      tenancy.migrator.plan(),
      db
        .selectFrom('public.organization')
        .select(['shortcode', 'name', 'schema_name', 'schema_version'])
        .where('deleted_at', 'is', null)
        .where('schema_version', '<', latest)
        .where('schema_name', '<>', PUBLIC_SCHEMA)
        .orderBy('schema_name')
        .limit(BEHIND_SHOWN)
        .execute(),
    ]);
    const run = deps.runs.latest;
    return renderPage(request, reply, 'migrations', {
      title: 'Migrations',
      section: 'migrations',
      latest,
      migrationNames: tenancy.migrator.tenantMigrationNames,
      behindCount: plan.behind.length,
      upToDate: plan.current,
      publicBehind: plan.behind.includes(PUBLIC_SCHEMA),
      behind,
      run,
    });
  });

  scope.post('/migrations/run', async (_request, reply) => {
    const run = deps.runs.start();
    return redirectWith(reply, `${MIGRATIONS}?run=${run.id}`);
  });

  // Polled by the page (htmx) while a run goes on: the progress box alone.
  scope.get('/migrations/runs/:id', async (request, reply) => {
    const run = deps.runs.find((request.params as { id: string }).id);
    return renderFragment(reply, 'migration-run', { run });
  });
}
