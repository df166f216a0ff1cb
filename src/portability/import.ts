import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { seedRoles } from '../accounts/roles.ts';
import { credentialsChanged } from '../accounts/credential-cache.ts';
import { sniffImage } from '../content/image-storage.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { notifyTenancyChanged, tenancyEvents } from '../tenancy/events.ts';
import { applyMigrations, scopeTransaction, statementMode } from '../tenancy/migration.ts';
import {
  generateApiKey,
  mapOrganizationError,
  toOrganization,
  validName,
  validShortcode,
  type Organization,
} from '../tenancy/organizations.ts';
import { createTenantSchema, dropTenantSchema } from '../tenancy/provisioning.ts';
import { generateSchemaName, PUBLIC_SCHEMA } from '../tenancy/schema-name.ts';
import { MANIFEST_PATH, readEntries, sha256, type ArchiveEntry, type Manifest } from './archive.ts';
import { schemaTables, type TableShape } from './catalog.ts';
import { deferKeys, restoreKeys, type DeferredKeys } from './deferred-keys.ts';
import { insertJsonRows, moveSequencesPastRows } from './row-load.ts';
import type { PortabilityContext, Progress } from './export.ts';
import { importUsers, jsonArray, newUserMapping, type UserMapping } from './users.ts';
import { verifyArchive } from './verify.ts';

export interface ImportOptions {
  /** The new organization's shortcode (the archive's by default). */
  shortcode?: string;
  /** Its name (the archive's by default). */
  name?: string;
  /** Replace the data of the live organization that has the shortcode, instead of refusing. */
  replace?: boolean;
  onProgress?: (progress: Progress) => void;
}

export interface ImportResult {
  organization: Organization;
  /** Whether an existing organization's data was replaced. */
  replaced: boolean;
  users: { matched: number; created: number };
  rows: number;
  media: number;
  /** The archive's domains already used by another organization here, left out. */
  skippedDomains: string[];
}

/**
 * Creates an organization from an archive (docs/export.md), or with
 * `replace` swaps a live organization's data for the archive's.
 *
 * `open` is called twice: the first pass verifies every checksum and the
 * schema version before anything is written; the second loads, in one
 * transaction. The schema is created at the archive's version, loaded with
 * its foreign keys and secondary indexes off (built once after the load:
 * `deferred-keys.ts`), then migrated forward here, so older archives import
 * too. A failure (or a kill)
 * at any point leaves nothing: no organization, schema, user or membership.
 * Media files are stored under the new schema's folder as they are read,
 * and removed again when the load fails.
 *
 * @example
 * await importOrganization(context, () => createReadStream('af.plio.tar.gz'), { shortcode: 'af2' });
 */
export async function importOrganization(context: PortabilityContext, open: () => Readable, options: ImportOptions = {}): Promise<ImportResult> {
  const manifest = await verifyArchive(open(), context.migrations.tenant);
  const shortcode = validShortcode(options.shortcode ?? manifest.organization.shortcode);
  const name = validName(options.name ?? manifest.organization.name);
  const existing = await context.database.db
    .selectFrom('public.organization')
    .selectAll()
    .where('shortcode', '=', shortcode)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (existing && !options.replace) throw errors.shortcodeTaken(shortcode);
  if (existing?.schema_name === PUBLIC_SCHEMA) throw errors.publicTenantImmutable('replaced');
  await seedRoles(context.database.db);

  const schemaName = generateSchemaName();
  const loaded = await context.database.db
    .transaction()
    .execute(async (trx) => {
      const loader = new ArchiveLoader(trx, context, manifest, {
        shortcode,
        name,
        schemaName,
        replacing: existing && toOrganization(existing),
        onProgress: options.onProgress,
      });
      let index = 0;
      for await (const entry of readEntries(open())) {
        if (entry.path === MANIFEST_PATH) break;
        const listed = manifest.files[index++];
        // Verified in the first pass; checked again in case the file changed since.
        if (listed?.path !== entry.path || listed.sha256 !== sha256(entry.data)) throw errors.archiveInvalid('the file changed while it was being imported');
        await loader.load(entry);
      }
      return loader.finish();
    })
    .catch(async (error: unknown) => {
      // The schema was never committed: its media are referenced by nothing.
      await context.storage.removeSchema(schemaName);
      throw error;
    })
    .catch(mapOrganizationError({ shortcode, schemaName }));
  tenancyEvents.emit('changed');
  await credentialsChanged(context.database.db, loaded.changedUsers);
  return loaded.result;
}

interface Target {
  shortcode: string;
  name: string;
  schemaName: string;
  /** The organization whose data the archive replaces. */
  replacing: Organization | undefined;
  onProgress: ImportOptions['onProgress'];
}

/** Loads one archive's entries, in archive order, into one open transaction. */
class ArchiveLoader {
  #organization: Organization | undefined;
  #archivedConfig: unknown = null;
  #tables = new Map<string, TableShape>();
  #deferredKeys: DeferredKeys = { foreignKeys: [], indexes: [] };
  readonly #users: UserMapping = newUserMapping();
  #userIdsJson: string | undefined;
  readonly #urls = new Map<string, string>();
  readonly #rowsLoaded = new Map<string, number>();
  readonly #skippedDomains: string[] = [];
  readonly #changedUsers: number[] = [];
  readonly #totalRows: number;
  #done = 0;

  constructor(
    private readonly trx: Kysely<DB>,
    private readonly context: PortabilityContext,
    private readonly manifest: Manifest,
    private readonly target: Target,
  ) {
    this.#totalRows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
  }

  async load(entry: ArchiveEntry): Promise<void> {
    const [folder] = entry.path.split('/');
    if (entry.path === 'organization.json') return this.createOrganization(entry.data);
    const organization = this.#organization;
    if (!organization) throw errors.archiveInvalid('organization.json does not come first');
    if (folder === 'domains') return this.addDomains(organization, entry.data);
    if (folder === 'users') return importUsers(this.trx, entry.data, organization.id, this.#users);
    if (folder === 'memberships') return this.addMemberships(organization, entry.data);
    if (folder === 'media') return this.storeMedia(entry);
    if (folder === 'tables') return this.insertRows(entry);
    throw errors.archiveInvalid(`unexpected entry "${entry.path}"`);
  }

  /** The organization row and its schema, created at the archive's version. */
  private async createOrganization(data: Buffer): Promise<void> {
    const archived = JSON.parse(data.toString('utf8')) as { api_key?: string; config?: unknown; created_at?: string };
    const { manifest, target, trx } = this;
    this.#archivedConfig = archived.config ?? null;
    await createTenantSchema(trx, target.schemaName, this.context.migrations.tenant.slice(0, manifest.migrations.length), await statementMode(this.context.database.db));
    this.#tables = await this.checkedShapes();
    this.#deferredKeys = await deferKeys(trx, target.schemaName);

    if (target.replacing) {
      this.#organization = target.replacing;
      const members = await trx
        .deleteFrom('public.organization_user')
        .where('organization_id', '=', target.replacing.id)
        .returning('user_id')
        .execute();
      this.#changedUsers.push(...members.map((m) => m.user_id));
      await trx.deleteFrom('public.domain').where('tenant_id', '=', target.replacing.id).execute();
      return;
    }
    const keyTaken = archived.api_key
      ? await trx.selectFrom('public.organization').select('id').where('api_key', '=', archived.api_key).executeTakeFirst()
      : true;
    const row = await trx
      .insertInto('public.organization')
      .values({
        name: target.name,
        shortcode: target.shortcode,
        schema_name: target.schemaName,
        api_key: keyTaken ? generateApiKey() : archived.api_key!,
        config: jsonOrNull(this.#archivedConfig),
        schema_version: manifest.migrations.length,
        ...(archived.created_at && { created_at: archived.created_at }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#organization = toOrganization(row);
  }

  /** The new schema's tables, which must be the archive's, column for column. */
  private async checkedShapes(): Promise<Map<string, TableShape>> {
    const shapes = new Map((await schemaTables(this.trx, this.target.schemaName)).map((shape) => [shape.name, shape]));
    const version = this.manifest.migrations.length;
    for (const table of this.manifest.tables) {
      const shape = shapes.get(table.name);
      if (!shape) throw errors.archiveInvalid(`table "${table.name}" is not part of schema version ${version}`);
      if (shape.columns.join(',') !== table.columns.join(',')) {
        throw errors.archiveInvalid(`table "${table.name}" has columns (${table.columns.join(', ')}) where schema version ${version} has (${shape.columns.join(', ')})`);
      }
    }
    const missing = [...shapes.keys()].filter((name) => !this.manifest.tables.some((table) => table.name === name));
    if (missing.length > 0) throw errors.archiveInvalid(`it lacks table(s) ${missing.join(', ')} of schema version ${version}`);
    return shapes;
  }

  private async addDomains(organization: Organization, part: Buffer): Promise<void> {
    const { rows } = await sql<{ domain: string; added: boolean }>`
      with incoming as (select * from json_to_recordset(${jsonArray(part)}::json) as r(domain text, is_primary boolean)),
      added as (
        insert into public.domain (domain, tenant_id, is_primary)
        select domain, ${organization.id}::bigint, is_primary from incoming
        on conflict (domain) do nothing
        returning domain
      )
      select i.domain, exists (select 1 from added a where a.domain = i.domain) as added from incoming i`.execute(this.trx);
    this.#skippedDomains.push(...rows.filter((row) => !row.added).map((row) => row.domain));
  }

  private async addMemberships(organization: Organization, part: Buffer): Promise<void> {
    const members = (JSON.parse(jsonArray(part)) as { user_id: number; role: string; is_owner: boolean; created_at: string; updated_at: string }[]).map(
      (member) => ({ ...member, user_id: this.mappedUser(member.user_id, 'memberships') }),
    );
    await sql`
      insert into public.organization_user (organization_id, user_id, role_id, is_owner, created_at, updated_at)
      select ${organization.id}::bigint, r.user_id, role.id, r.is_owner, r.created_at, r.updated_at
      from json_to_recordset(${JSON.stringify(members)}::json)
        as r(user_id bigint, role text, is_owner boolean, created_at timestamptz, updated_at timestamptz)
      join public.role role on role.name = r.role
      on conflict (user_id, organization_id) do nothing`.execute(this.trx);
    this.#changedUsers.push(...members.map((member) => member.user_id));
  }

  private mappedUser(id: number, where: string): number {
    const mapped = this.#users.ids.get(id);
    if (mapped === undefined) throw errors.archiveInvalid(`${where} name user ${id}, whom the archive does not carry`);
    return mapped;
  }

  /** Stores a media file under the new schema; image rows are pointed at it in `finish`. */
  private async storeMedia(entry: ArchiveEntry): Promise<void> {
    const listed = this.manifest.media.find((media) => media.path === entry.path);
    if (!listed) throw errors.archiveInvalid(`"${entry.path}" is not in the manifest's media`);
    const url = await this.context.storage.save({
      schema: this.target.schemaName,
      name: entry.path.slice('media/'.length),
      data: entry.data,
      contentType: sniffImage(entry.data)?.contentType ?? 'application/octet-stream',
    });
    this.#urls.set(listed.url, url);
  }

  /** One part of a table, in one statement; user columns are remapped on the way in. */
  private async insertRows(entry: ArchiveEntry): Promise<void> {
    const table = entry.path.split('/')[1]!;
    const shape = this.#tables.get(table);
    if (!shape) throw errors.archiveInvalid(`"${entry.path}" is not a table of the archive`);
    this.#userIdsJson ??= JSON.stringify(Object.fromEntries(this.#users.ids));
    await insertJsonRows(this.trx, this.target.schemaName, shape, jsonArray(entry.data), this.#userIdsJson);
    const rows = countLines(entry.data);
    this.#rowsLoaded.set(table, (this.#rowsLoaded.get(table) ?? 0) + rows);
    this.#done += rows;
    this.target.onProgress?.({ done: this.#done, total: this.#totalRows, step: table });
  }

  async finish(): Promise<{ result: ImportResult; changedUsers: number[] }> {
    const organization = this.#organization;
    if (!organization) throw errors.archiveInvalid('it holds no organization.json');
    for (const table of this.manifest.tables) {
      const loaded = this.#rowsLoaded.get(table.name) ?? 0;
      if (loaded !== table.rows) throw errors.archiveInvalid(`table "${table.name}" holds ${loaded} rows where the manifest says ${table.rows}`);
    }
    const { trx, target } = this;
    const schema = target.schemaName;
    if (this.#urls.size > 0) {
      await sql`update ${sql.table(`${schema}.image`)} t set url = m.value
        from json_each_text(${JSON.stringify(Object.fromEntries(this.#urls))}::json) m where t.url = m.key`.execute(trx);
    }
    await scopeTransaction(trx, schema);
    await restoreKeys(trx, schema, this.#deferredKeys);
    await applyMigrations(trx, 'tenant', this.context.migrations.tenant.slice(this.manifest.migrations.length), await statementMode(this.context.database.db));
    await moveSequencesPastRows(trx, schema, await schemaTables(trx, schema));

    const latest = this.context.migrations.tenant.length;
    const row = await trx
      .updateTable('public.organization')
      .set({
        schema_version: latest,
        updated_at: new Date(),
        ...(target.replacing && { schema_name: schema, name: target.name, config: jsonOrNull(this.#archivedConfig) }),
      })
      .where('id', '=', organization.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (target.replacing) await dropTenantSchema(trx, target.replacing.schemaName);
    await notifyTenancyChanged(trx);
    return {
      changedUsers: this.#changedUsers,
      result: {
        organization: toOrganization(row),
        replaced: target.replacing !== undefined,
        users: { matched: this.#users.matched, created: this.#users.created },
        rows: this.#done,
        media: this.#urls.size,
        skippedDomains: this.#skippedDomains,
      },
    };
  }
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function countLines(part: Buffer): number {
  let lines = 0;
  for (let at = part.indexOf(10); at !== -1; at = part.indexOf(10, at + 1)) lines++;
  return lines;
}
