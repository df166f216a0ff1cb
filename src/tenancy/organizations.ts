import { randomInt } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { onCitus } from '../db/citus.ts';
import { PG, pgErrorCode, uniqueViolation } from '../db/db-errors.ts';
import type { DB, OrganizationTable } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { normalizeDomain } from './domains.ts';
import { notifyTenancyChanged, tenancyEvents } from './events.ts';
import { statementMode, type MigrationSets } from './migration.ts';
import { citusSchemaPlacements, moveSchema, type MoveProgress, type MoveResult, type SchemaPlacement } from './placement.ts';
import type { ReloadConfirmations } from './reload-confirmations.ts';
import { cloneSchemaData, createTenantSchema, dropTenantSchema } from './provisioning.ts';
import { estimatedSchemaSizes } from './schema-sizes.ts';
import { assertValidSchemaName, generateSchemaName, PUBLIC_SCHEMA, quoteIdent } from './schema-name.ts';

export interface Organization {
  id: number;
  name: string;
  shortcode: string;
  schemaName: string;
  apiKey: string;
  config: Record<string, unknown> | null;
  /** Tenant migrations applied in the schema; `null` once the schema is dropped. */
  schemaVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface CreateOrganization {
  name: string;
  shortcode: string;
  /** Generated (10 lowercase letters) when omitted. */
  schemaName?: string;
  config?: Record<string, unknown> | null;
  /** Adds this domain as the organization's primary domain, in the same transaction. */
  domain?: string;
}

export interface OrganizationListing extends Organization {
  domains: string[];
  /** Bytes the schema takes, as last estimated (`estimatedSchemaSizes`); `null` when the schema is gone. */
  sizeBytes: number | null;
  /** On a Citus cluster, the node (`host:port`) that holds the schema's tables; `null` elsewhere. */
  node: string | null;
}

export interface OrganizationPageQuery {
  /** Only organizations whose shortcode or name contains this (any case). */
  search?: string;
  /** Start after this shortcode: the previous page's `nextAfter`. */
  after?: string;
  /** Page size, 1 to {@link MAX_PAGE_SIZE}; default {@link DEFAULT_PAGE_SIZE}. */
  limit?: number;
}

export interface OrganizationPage {
  organizations: (OrganizationListing & { members: number })[];
  /** Organizations matching the search, over all pages. */
  total: number;
  /** Pass as `after` for the next page; `null` on the last page. */
  nextAfter: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

const SHORTCODE = /^[A-Za-z0-9_-]{1,255}$/;
const API_KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const GENERATED_NAME_ATTEMPTS = 5;

/**
 * The registry of organizations: each one a tenant with its own schema.
 *
 * Every change that creates or drops a schema happens in the same
 * transaction as the row that names it, so a failure leaves neither.
 */
export class Organizations {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly migrations: MigrationSets,
    /** Adds a domain inside an open transaction (set by the tenancy service). */
    private readonly addDomain: (trx: Kysely<DB>, tenantId: number, domain: string, isPrimary: boolean) => Promise<void>,
    /** Makes a delete wait until every server process stopped resolving the organization. */
    private readonly confirmations: ReloadConfirmations,
  ) {}

  /**
   * Creates an organization with its schema and every tenant table.
   *
   * @example
   * const af = await Organization.create({ name: 'Avanti Fellows', shortcode: 'af' });
   */
  async create(input: CreateOrganization): Promise<Organization> {
    const name = validName(input.name);
    const shortcode = validShortcode(input.shortcode);
    if (input.schemaName !== undefined && input.schemaName !== PUBLIC_SCHEMA) assertValidSchemaName(input.schemaName);
    const chosen = input.schemaName;
    for (let attempt = 1; ; attempt++) {
      const schemaName = chosen ?? generateSchemaName();
      try {
        return await this.insert({ ...input, name, shortcode, schemaName });
      } catch (error) {
        const clash = (error as { code?: string }).code === 'SCHEMA_NAME_TAKEN';
        if (!clash || chosen !== undefined || attempt >= GENERATED_NAME_ATTEMPTS) throw error;
      }
    }
  }

  private async insert(input: CreateOrganization & { schemaName: string }): Promise<Organization> {
    const isPublic = input.schemaName === PUBLIC_SCHEMA;
    const mode = await statementMode(this.db);
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        if (isPublic && (await this.findBySchema(PUBLIC_SCHEMA, trx))) throw errors.schemaNameTaken(PUBLIC_SCHEMA);
        const inserted = await this.insertRow(trx, input.name, input.shortcode, input.schemaName, input.config ?? null);
        if (!isPublic) await createTenantSchema(trx, input.schemaName, this.migrations.tenant, mode);
        if (input.domain !== undefined) await this.addDomain(trx, inserted.id, input.domain, true);
        await notifyTenancyChanged(trx);
        return inserted;
      })
      .catch(mapOrganizationError(input));
    tenancyEvents.emit('changed');
    return toOrganization(row);
  }

  /** A live organization by shortcode. */
  async findByShortcode(shortcode: string): Promise<Organization | undefined> {
    const row = await this.live().where('shortcode', '=', shortcode).executeTakeFirst();
    return row && toOrganization(row);
  }

  /** A live organization by shortcode, or the catalog's not-found error. */
  async get(shortcode: string): Promise<Organization> {
    const organization = await this.findByShortcode(shortcode);
    if (!organization) throw errors.organizationNotFoundByShortcode(shortcode);
    return organization;
  }

  async findById(id: number): Promise<Organization | undefined> {
    const row = await this.live().where('id', '=', id).executeTakeFirst();
    return row && toOrganization(row);
  }

  async findBySchema(schemaName: string, db: Kysely<DB> = this.db): Promise<Organization | undefined> {
    const row = await db
      .selectFrom('public.organization')
      .selectAll()
      .where('schema_name', '=', schemaName)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toOrganization(row);
  }

  /** Live organizations with their domains and (estimated) schema sizes, by shortcode: what `plio org list` prints. */
  async list(): Promise<OrganizationListing[]> {
    const rows = await this.live().orderBy('shortcode').execute();
    // Independent reads, each on its own pooled connection: at 10,000 tenants
    // the size estimate is most of the time, and the domains come alongside.
    const [domains, sizes] = await Promise.all([
      this.domainsByOrganization(),
      this.schemaSizes(rows.map((row) => row.schema_name)),
    ]);
    return rows.map((row) => ({ ...toOrganization(row), domains: domains.get(row.id) ?? [], ...placementOf(sizes, row.schema_name) }));
  }

  /**
   * Each organization's domains, primary first, for the organizations `ids`
   * (all when omitted): one grouped query rather than a subquery per row, as
   * `domain` has no index on the tenant and the listings cover thousands.
   */
  private async domainsByOrganization(ids?: readonly number[]): Promise<Map<number, string[]>> {
    if (ids?.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('public.domain')
      .select(['tenant_id', sql<string[]>`array_agg(domain order by is_primary desc, domain)`.as('domains')])
      .$if(ids !== undefined, (q) => q.where('tenant_id', 'in', ids!))
      .groupBy('tenant_id')
      .execute();
    return new Map(rows.map((row) => [Number(row.tenant_id), row.domains]));
  }

  /**
   * One page of live organizations by shortcode, for listings that must stay
   * fast at any tenant count (the operator console): a keyset page (`after`
   * the last shortcode of the previous page), optionally filtered by a
   * search in shortcode and name, with domains, member counts and estimated
   * schema sizes read for the page's organizations only.
   *
   * @example
   * const first = await tenancy.organizations.listPage({ search: 'avanti', limit: 50 });
   * const second = await tenancy.organizations.listPage({ search: 'avanti', limit: 50, after: first.nextAfter! });
   */
  async listPage(query: OrganizationPageQuery = {}): Promise<OrganizationPage> {
    const limit = Math.min(Math.max(Math.trunc(query.limit ?? DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE);
    const search = query.search?.trim();
    const matching = this.live().$if(Boolean(search), (q) =>
      q.where((eb) => eb.or([eb('shortcode', 'ilike', `%${escapeLike(search!)}%`), eb('name', 'ilike', `%${escapeLike(search!)}%`)])),
    );
    const [rows, total] = await Promise.all([
      matching
        .select((eb) =>
          eb
            .selectFrom('public.organization_user')
            .select((inner) => inner.fn.countAll<number>().as('members'))
            .whereRef('public.organization_user.organization_id', '=', 'public.organization.id')
            .as('members'),
        )
        .$if(query.after !== undefined, (q) => q.where('shortcode', '>', query.after!))
        .orderBy('shortcode')
        .limit(limit + 1)
        .execute(),
      matching.clearSelect().select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
    ]);
    const page = rows.slice(0, limit);
    const [domains, sizes] = await Promise.all([
      this.domainsByOrganization(page.map((row) => row.id)),
      this.schemaSizes(page.map((row) => row.schema_name)),
    ]);
    return {
      organizations: page.map((row) => ({
        ...toOrganization(row),
        domains: domains.get(row.id) ?? [],
        members: Number(row.members ?? 0),
        ...placementOf(sizes, row.schema_name),
      })),
      total: Number(total.count),
      nextAfter: rows.length > limit ? page.at(-1)!.shortcode : null,
    };
  }

  /**
   * Sizes of `schemas`: estimated from the catalog on one server; on Citus
   * from the shard placements (the coordinator's tables of a distributed
   * schema are empty shells), with the node that holds each schema.
   */
  private async schemaSizes(schemas: readonly string[]): Promise<Map<string, SchemaPlacement>> {
    if (await onCitus(this.db)) return citusSchemaPlacements(this.db, schemas);
    const sizes = await estimatedSchemaSizes(this.db, schemas);
    return new Map([...sizes].map(([schema, sizeBytes]) => [schema, { sizeBytes, node: null }]));
  }

  /**
   * Soft-deletes an organization: it stops resolving and its shortcode is
   * free again; its domains are released. With `dropSchema` its schema and
   * data are dropped in the same transaction.
   */
  async delete(shortcode: string, options: { dropSchema?: boolean } = {}): Promise<Organization> {
    const organization = await this.get(shortcode);
    if (organization.schemaName === PUBLIC_SCHEMA) throw errors.publicTenantImmutable('deleted');
    const softDelete = async (trx: Kysely<DB>) => {
      await trx.deleteFrom('public.domain').where('tenant_id', '=', organization.id).execute();
      const updated = await trx
        .updateTable('public.organization')
        .set({
          deleted_at: new Date(),
          updated_at: new Date(),
          ...(options.dropSchema ? { schema_version: null } : {}),
        })
        .where('id', '=', organization.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (options.dropSchema) await dropTenantSchema(trx, organization.schemaName);
      return updated;
    };
    return toOrganization(await this.confirmations.transaction(this.db, softDelete));
  }

  /** Changes an organization's display name. */
  async rename(shortcode: string, name: string): Promise<Organization> {
    return this.update(shortcode, { name });
  }

  /** Replaces an organization's `config` (its settings). */
  async setConfig(shortcode: string, config: Record<string, unknown> | null): Promise<Organization> {
    return this.update(shortcode, { config });
  }

  /**
   * Changes an organization's name, shortcode or config (who may is the
   * caller's to decide). The directory of every instance is told, since
   * requests find tenants by shortcode.
   */
  async update(shortcode: string, changes: { name?: string; shortcode?: string; config?: Record<string, unknown> | null }): Promise<Organization> {
    const organization = await this.get(shortcode);
    const values = {
      ...(changes.name !== undefined && { name: validName(changes.name) }),
      ...(changes.shortcode !== undefined && { shortcode: validShortcode(changes.shortcode) }),
      ...(changes.config !== undefined && { config: changes.config === null ? null : JSON.stringify(changes.config) }),
      updated_at: new Date(),
    };
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        const updated = await trx.updateTable('public.organization').set(values).where('id', '=', organization.id).returningAll().executeTakeFirstOrThrow();
        await notifyTenancyChanged(trx);
        return updated;
      })
      .catch(mapOrganizationError({ shortcode: changes.shortcode ?? shortcode, schemaName: organization.schemaName }));
    tenancyEvents.emit('changed');
    return toOrganization(row);
  }

  /** Renames a tenant's schema; the organization row follows in the same transaction. */
  async renameSchema(shortcode: string, newName: string): Promise<Organization> {
    const organization = await this.get(shortcode);
    if (organization.schemaName === PUBLIC_SCHEMA) throw errors.publicTenantImmutable('renamed');
    assertValidSchemaName(newName);
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        const updated = await trx
          .updateTable('public.organization')
          .set({ schema_name: newName, updated_at: new Date() })
          .where('id', '=', organization.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await sql.raw(`alter schema ${quoteIdent(organization.schemaName)} rename to ${quoteIdent(newName)}`).execute(trx);
        await notifyTenancyChanged(trx);
        return updated;
      })
      .catch(mapOrganizationError({ shortcode, schemaName: newName }));
    tenancyEvents.emit('changed');
    return toOrganization(row);
  }

  /**
   * Moves a tenant's schema to another node of a Citus cluster
   * (`host:port`), with progress; refused on a single server. The
   * organization row and the schema name stay as they are.
   */
  async move(shortcode: string, node: string, onProgress?: (progress: MoveProgress) => void): Promise<MoveResult> {
    const organization = await this.get(shortcode);
    if (organization.schemaName === PUBLIC_SCHEMA) throw errors.publicTenantImmutable('moved');
    // No tenancy notification: the directory and the caches name schemas,
    // not nodes, so nothing they hold changes; Citus routes by its own catalog.
    return moveSchema(this.db, organization.schemaName, node, onProgress);
  }

  /**
   * Creates a new organization whose schema is a copy of `shortcode`'s
   * schema, data included, in one transaction.
   */
  async clone(shortcode: string, target: Omit<CreateOrganization, 'domain'>): Promise<Organization> {
    const source = await this.get(shortcode);
    if (source.schemaVersion !== this.migrations.tenant.length && source.schemaName !== PUBLIC_SCHEMA) {
      throw errors.badRequest(`schema "${source.schemaName}" is not migrated to the latest version; run plio migrate first`);
    }
    const name = validName(target.name);
    const newShortcode = validShortcode(target.shortcode);
    const schemaName = target.schemaName ?? generateSchemaName();
    assertValidSchemaName(schemaName);
    const config = target.config ?? source.config;
    const mode = await statementMode(this.db);
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        const inserted = await this.insertRow(trx, name, newShortcode, schemaName, config);
        await createTenantSchema(trx, schemaName, this.migrations.tenant, mode);
        await cloneSchemaData(trx, source.schemaName, schemaName);
        await notifyTenancyChanged(trx);
        return inserted;
      })
      .catch(mapOrganizationError({ shortcode: newShortcode, schemaName }));
    tenancyEvents.emit('changed');
    return toOrganization(row);
  }

  /**
   * The organization row of a schema about to be created at the latest
   * version. (Public is migrated before its row can exist — the table comes
   * from the shared set — so it starts at the latest version too.)
   */
  private insertRow(trx: Kysely<DB>, name: string, shortcode: string, schemaName: string, config: Record<string, unknown> | null) {
    return trx
      .insertInto('public.organization')
      .values({
        name,
        shortcode,
        schema_name: schemaName,
        api_key: generateApiKey(),
        config: config === null ? null : JSON.stringify(config),
        schema_version: this.migrations.tenant.length,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  private live() {
    return this.db.selectFrom('public.organization').selectAll().where('deleted_at', 'is', null);
  }
}

export function validName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw errors.invalidName('This field may not be blank.');
  if (name.length > 255) throw errors.invalidName('Ensure this field has no more than 255 characters.');
  return name.trim();
}

export function validShortcode(shortcode: unknown): string {
  if (typeof shortcode !== 'string' || !SHORTCODE.test(shortcode)) throw errors.invalidShortcode(String(shortcode));
  return shortcode;
}

/** `text` matched literally inside a LIKE pattern. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** 20 random letters and digits. */
export function generateApiKey(): string {
  let key = '';
  for (let i = 0; i < 20; i++) key += API_KEY_ALPHABET[randomInt(API_KEY_ALPHABET.length)];
  return key;
}

/**
 * Maps constraint violations from an organization write (and the primary
 * domain written with it) to catalog errors, around the whole transaction:
 * on Citus a violation may surface only at COMMIT.
 */
export function mapOrganizationError(input: { shortcode: string; schemaName: string; domain?: string }) {
  return (error: unknown): never => {
    const constraint = uniqueViolation(error);
    if (constraint === 'organization_live_shortcode_key') throw errors.shortcodeTaken(input.shortcode);
    if (constraint === 'organization_schema_name_key') throw errors.schemaNameTaken(input.schemaName);
    if (pgErrorCode(error) === PG.DUPLICATE_SCHEMA) throw errors.schemaNameTaken(input.schemaName);
    if (constraint === 'domain_domain_key' && input.domain !== undefined) throw errors.domainTaken(normalizeDomain(input.domain));
    throw error;
  };
}

export function toOrganization(row: Selectable<OrganizationTable>): Organization {
  return {
    id: row.id,
    name: row.name,
    shortcode: row.shortcode,
    schemaName: row.schema_name,
    apiKey: row.api_key,
    config: row.config as Record<string, unknown> | null,
    schemaVersion: row.schema_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** A listing's size and node fields for `schema`. */
function placementOf(sizes: Map<string, SchemaPlacement>, schema: string): Pick<OrganizationListing, 'sizeBytes' | 'node'> {
  const placement = sizes.get(schema);
  return { sizeBytes: placement?.sizeBytes ?? null, node: placement?.node ?? null };
}
