import type { Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { imageKeyOfUrl, type ImageStorage } from '../content/image-storage.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { LEDGER_TABLE, type MigrationSets, type SqlExecutor } from '../tenancy/migration.ts';
import { toOrganization, type Organization } from '../tenancy/organizations.ts';
import { PUBLIC_SCHEMA } from '../tenancy/schema-name.ts';
import { ArchiveWriter, type ArchiveMedia, type ArchiveTable, type Manifest } from './archive.ts';
import { schemaTables, type TableShape } from './catalog.ts';
import { jsonLines } from './row-lines.ts';
import { userLine } from './users.ts';

/** What export and import need of a process: its database, media store and migrations. */
export interface PortabilityContext {
  readonly database: Database;
  /** Stores imported media; their URLs start with this installation's `PUBLIC_URL`. */
  readonly storage: ImageStorage;
  readonly migrations: MigrationSets;
}

/** How far an export or import is: rows written or loaded out of the archive's total. */
export interface Progress {
  readonly done: number;
  readonly total: number;
  /** The table (or `users`, `media`…) being worked on. */
  readonly step: string;
}

export interface ExportOptions {
  onProgress?: (progress: Progress) => void;
}

/**
 * Writes organization `shortcode` to `out` as one archive (docs/export.md).
 *
 * Everything is read in one REPEATABLE READ, read-only transaction: the
 * archive is one consistent snapshot while the server keeps writing. Rows
 * stream from the database to `out` a page at a time, so memory stays flat
 * whatever the organization's size. Resolves with the manifest once every
 * byte was handed to `out`.
 *
 * @example
 * await exportOrganization(context, 'af', createWriteStream('af.plio.tar.gz'));
 */
export async function exportOrganization(context: PortabilityContext, shortcode: string, out: Writable, options: ExportOptions = {}): Promise<Manifest> {
  const { database, storage } = context;
  const archive = new ArchiveWriter(out);
  try {
    return await database.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const organization = await liveOrganization(trx, shortcode);
        const schema = organization.schemaName;
        const tables = await schemaTables(trx, schema);
        const migrations = await appliedTenantMigrations(trx, schema);
        const total = await rowCount(trx, schema, tables);
        let done = 0;
        const report = (step: string) => options.onProgress?.({ done, total, step });
        const counted = async function* (step: string, batches: AsyncIterable<string[]>) {
          for await (const batch of batches) {
            yield batch;
            done += batch.length;
            report(step);
          }
        };

        const orgLine = await sql<{ line: string }>`
          select row_to_json(t)::text as line from public.organization t where t.id = ${organization.id}`.execute(trx);
        await archive.add('organization.json', Buffer.from(`${orgLine.rows[0]!.line}\n`));
        const domains = await archive.addLines(
          'domains',
          jsonLines(trx, database.kind, { relation: sql`public.domain`, key: 'id', where: sql`t.tenant_id = ${organization.id}` }),
        );
        const users = await archive.addLines(
          'users',
          counted(
            'users',
            jsonLines(trx, database.kind, {
              relation: sql`public."user"`,
              key: 'id',
              where: sql`t.id in (${referencedUsers(organization.id, schema, tables)})`,
              line: userLine(organization.id),
            }),
          ),
        );
        const memberships = await archive.addLines(
          'memberships',
          jsonLines(trx, database.kind, {
            relation: sql`public.organization_user`,
            key: 'id',
            where: sql`t.organization_id = ${organization.id}`,
            line: sql`(to_jsonb(t) || jsonb_build_object('role', (select r.name from public.role r where r.id = t.role_id)))::text`,
          }),
        );
        const media = await exportMedia(trx, storage, archive, schema);
        report('media');

        const archived: ArchiveTable[] = [];
        for (const table of tables) {
          const relation = sql.table(`${schema}.${table.name}`);
          const written = await archive.addLines(`tables/${table.name}`, counted(table.name, jsonLines(trx, database.kind, { relation, key: table.key })));
          archived.push({ name: table.name, columns: table.columns, rows: written.rows, parts: written.parts });
        }
        return archive.finish({
          organization: { shortcode: organization.shortcode, name: organization.name, schema_name: schema },
          schema_version: migrations.length,
          migrations,
          counts: { users: users.rows, memberships: memberships.rows, domains: domains.rows },
          tables: archived,
          media,
        });
      });
  } catch (error) {
    archive.destroy(error as Error);
    throw error;
  }
}

async function liveOrganization(trx: Kysely<DB>, shortcode: string): Promise<Organization> {
  const row = await trx
    .selectFrom('public.organization')
    .selectAll()
    .where('shortcode', '=', shortcode)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw errors.organizationNotFoundByShortcode(shortcode);
  if (row.schema_name === PUBLIC_SCHEMA) throw errors.publicTenantImmutable('exported (it is every user\'s personal workspace; use plio db copy)');
  return toOrganization(row);
}

/** The tenant migrations the schema's ledger records, in order (names sort in order). */
async function appliedTenantMigrations(trx: SqlExecutor, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select name from ${sql.table(`${schema}.${LEDGER_TABLE}`)} where migration_set = 'tenant' order by name`.execute(trx);
  return rows.map((row) => row.name);
}

async function rowCount(trx: SqlExecutor, schema: string, tables: readonly TableShape[]): Promise<number> {
  if (tables.length === 0) return 0;
  const counts = tables.map((table) => sql`(select count(*) from ${sql.table(`${schema}.${table.name}`)})`);
  const { rows } = await sql<{ total: number }>`select (${sql.join(counts, sql` + `)})::int as total`.execute(trx);
  return rows[0]!.total;
}

/** Every user the organization names: its members and every user column of its tables. */
function referencedUsers(organizationId: number, schema: string, tables: readonly TableShape[]) {
  const fromTables = tables.flatMap((table) =>
    table.userColumns.map((column) => sql`select ${sql.ref(column)} from ${sql.table(`${schema}.${table.name}`)}`),
  );
  return sql.join(
    [sql`select user_id from public.organization_user where organization_id = ${organizationId}`, ...fromTables],
    sql` union `,
  );
}

/** The uploaded files the schema's image rows point at, as `media/<name>` entries. */
async function exportMedia(trx: SqlExecutor, storage: ImageStorage, archive: ArchiveWriter, schema: string): Promise<ArchiveMedia[]> {
  const { rows } = await sql<{ url: string }>`select distinct url from ${sql.table(`${schema}.image`)} order by url`.execute(trx);
  const media: ArchiveMedia[] = [];
  for (const { url } of rows) {
    const key = imageKeyOfUrl(url, schema);
    const data = key && (await storage.load(key));
    if (!key || !data) continue; // an image hosted elsewhere, or a file already gone: the row is carried as it is
    const path = `media/${key.slice(key.lastIndexOf('/') + 1)}`;
    await archive.add(path, data);
    media.push({ path, url });
  }
  return media;
}
