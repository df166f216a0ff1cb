/**
 * The 10,000-tenant database the scale benchmark runs on (`plio_scale_10k`),
 * built once and kept: provisioning that many tenants takes minutes.
 *
 * Each tenant gets what a small school has: a creator who is `org-admin` of
 * that organization only, and a few published public plios. Building is
 * resumable: a run that was stopped continues after the last organization it
 * made. A finished build is recorded in `public.bench_scale_build`, so a
 * later run reuses it; reusing migrates it first (new migrations since the
 * build are applied to every schema, and that run is timed).
 */
import pg from 'pg';
import pino from 'pino';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import { runAdminStatement } from '../test/support/scratch-database.ts';

export const PLIOS_PER_TENANT = 3;
/** Tenants provisioned at once while building. */
const BUILD_CONCURRENCY = 4;

export interface ScaleDatabase {
  readonly url: string;
  readonly tenants: number;
}

const shortcodeOf = (i: number) => `scale${i}`;
export const creatorEmailOf = (i: number) => `scale-creator-${i}@example.org`;

/** Creates (or completes) the database `name` on the server `adminUrl` reaches, with `tenants` organizations. */
export async function ensureScaleDatabase(adminUrl: string, name: string, tenants: number): Promise<ScaleDatabase> {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (!(await databaseExists(adminUrl, name))) await runAdminStatement(adminUrl, `create database "${name}"`);
  const built = await recordedBuild(url.toString());
  if (built !== undefined && built >= tenants) return { url: url.toString(), tenants: built };
  await build(url.toString(), tenants);
  return { url: url.toString(), tenants };
}

async function databaseExists(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function recordedBuild(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tenants: number }>(
      `select tenants from public.bench_scale_build where to_regclass('public.bench_scale_build') is not null`,
    ).catch(() => ({ rows: [] as { tenants: number }[] }));
    return rows[0]?.tenants;
  } finally {
    await client.end();
  }
}

async function build(url: string, tenants: number): Promise<void> {
  const running = await boot(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }), { log: pino({ level: 'silent' }) });
  try {
    const { db, tenancy } = running.context;
    const orgAdmin = await db.selectFrom('public.role').select('id').where('name', '=', 'org-admin').executeTakeFirstOrThrow();
    // Indexes already built (a stopped build leaves gaps when tenants are made concurrently).
    const existing = new Set(
      (await db.selectFrom('public.organization').select('shortcode').where('shortcode', 'like', 'scale%').execute()).map((row) => row.shortcode),
    );
    const missing = Array.from({ length: tenants }, (_, i) => i).filter((i) => !existing.has(shortcodeOf(i)));
    const started = performance.now();
    let built = existing.size;
    const buildTenant = async (i: number) => {
      const organization = await tenancy.organizations.create({ name: `Scale ${i}`, shortcode: shortcodeOf(i) });
      const creator = await db.insertInto('public.user').values({ email: creatorEmailOf(i) }).returning('id').executeTakeFirstOrThrow();
      await db.insertInto('public.organization_user').values({ user_id: creator.id, organization_id: organization.id, role_id: orgAdmin.id }).execute();
      await db
        .withSchema(organization.schemaName)
        .insertInto('plio')
        .values(
          Array.from({ length: PLIOS_PER_TENANT }, (_, p) => ({
            uuid: `s${i}p${p}`,
            name: `Plio ${p} of ${i}`,
            created_by_id: creator.id,
            status: 'published',
            is_public: true,
          })),
        )
        .execute();
      if (++built % 500 === 0) console.log(`built ${built} / ${tenants} tenants (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    };
    // Provisioning is mostly waiting on the server (DDL, commits): a few tenants in flight keep both cores busy.
    let next = 0;
    await Promise.all(
      Array.from({ length: BUILD_CONCURRENCY }, async () => {
        while (next < missing.length) await buildTenant(missing[next++]!);
      }),
    );
    await db.schema.createTable('public.bench_scale_build').ifNotExists().addColumn('tenants', 'integer', (c) => c.notNull()).execute();
    await db.deleteFrom('public.bench_scale_build' as never).execute();
    await db.insertInto('public.bench_scale_build' as never).values({ tenants } as never).execute();
  } finally {
    await running.close();
  }
}

/** The organization shortcodes and creator emails of tenants `0 … count-1`. */
export function scaleTenant(i: number): { shortcode: string; email: string } {
  return { shortcode: shortcodeOf(i), email: creatorEmailOf(i) };
}
