import type { Kysely } from 'kysely';
import { uniqueViolation } from '../db/db-errors.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { notifyTenancyChanged, tenancyEvents } from './events.ts';
import type { Organization, Organizations } from './organizations.ts';

export interface Domain {
  id: number;
  domain: string;
  tenantId: number;
  isPrimary: boolean;
}

export interface CreateDomain {
  /** A host, optionally with a first path segment: `plio.in/avantifellows`. */
  domain: string;
  /** The organization, or its shortcode. */
  tenant: Organization | string;
  /** Becomes the primary domain (the previous primary is demoted). An organization's first domain is always primary. */
  isPrimary?: boolean;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?::\\d{1,5})?(?:/[a-z0-9_-]{1,100})?$`);

/** Lowercases and checks a domain; throws the catalog's `INVALID_DOMAIN`. */
export function normalizeDomain(domain: unknown): string {
  const value = typeof domain === 'string' ? domain.trim().toLowerCase() : '';
  if (value.length > 253 || !DOMAIN.test(value)) throw errors.invalidDomain(String(domain));
  return value;
}

/** Domains map hosts (and host + first path segment) to organizations. */
export class Domains {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly organizations: Organizations,
  ) {}

  /**
   * @example
   * await Domain.create({ domain: 'plio.in/avantifellows', tenant, isPrimary: true });
   */
  async create(input: CreateDomain): Promise<Domain> {
    const domain = normalizeDomain(input.domain);
    const tenant = typeof input.tenant === 'string' ? await this.organizations.get(input.tenant) : input.tenant;
    if (!(await this.organizations.findById(tenant.id))) throw errors.organizationNotFoundByShortcode(tenant.shortcode);
    const row = await this.db
      .transaction()
      .execute(async (trx) => {
        await this.insertIn(trx, tenant.id, domain, input.isPrimary ?? false);
        await notifyTenancyChanged(trx);
        return trx.selectFrom('public.domain').selectAll().where('domain', '=', domain).executeTakeFirstOrThrow();
      })
      .catch(mapDomainError(domain));
    tenancyEvents.emit('changed');
    return { id: row.id, domain: row.domain, tenantId: row.tenant_id, isPrimary: row.is_primary };
  }

  /**
   * Inserts a domain inside an open transaction, keeping exactly one primary
   * domain per organization.
   */
  async insertIn(trx: Kysely<DB>, tenantId: number, rawDomain: string, isPrimary: boolean): Promise<void> {
    const domain = normalizeDomain(rawDomain);
    const hasPrimary = await trx
      .selectFrom('public.domain')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('is_primary', '=', true)
      .executeTakeFirst();
    const primary = isPrimary || !hasPrimary;
    if (primary && hasPrimary) {
      await trx.updateTable('public.domain').set({ is_primary: false }).where('tenant_id', '=', tenantId).execute();
    }
    await trx.insertInto('public.domain').values({ domain, tenant_id: tenantId, is_primary: primary }).execute().catch(mapDomainError(domain));
  }

  /** Makes a domain its organization's primary domain; the previous primary stays as a secondary one. */
  async makePrimary(domainId: number): Promise<Domain> {
    const row = await this.db.transaction().execute(async (trx) => {
      const domain = await this.findIn(trx, domainId);
      await trx.updateTable('public.domain').set({ is_primary: false }).where('tenant_id', '=', domain.tenant_id).where('is_primary', '=', true).execute();
      const updated = await trx.updateTable('public.domain').set({ is_primary: true }).where('id', '=', domainId).returningAll().executeTakeFirstOrThrow();
      await notifyTenancyChanged(trx);
      return updated;
    });
    tenancyEvents.emit('changed');
    return { id: row.id, domain: row.domain, tenantId: row.tenant_id, isPrimary: row.is_primary };
  }

  /**
   * Removes a domain. When it was the primary one, the organization's first
   * remaining domain (alphabetically) becomes primary, so an organization
   * with domains always has exactly one primary.
   */
  async remove(domainId: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const domain = await this.findIn(trx, domainId);
      await trx.deleteFrom('public.domain').where('id', '=', domainId).execute();
      if (domain.is_primary) {
        const next = await trx.selectFrom('public.domain').select('id').where('tenant_id', '=', domain.tenant_id).orderBy('domain').executeTakeFirst();
        if (next) await trx.updateTable('public.domain').set({ is_primary: true }).where('id', '=', next.id).execute();
      }
      await notifyTenancyChanged(trx);
    });
    tenancyEvents.emit('changed');
  }

  /** A domain row, locked for the rest of the transaction; the catalog's not-found error otherwise. */
  private async findIn(trx: Kysely<DB>, domainId: number) {
    const domain = await trx.selectFrom('public.domain').selectAll().where('id', '=', domainId).forUpdate().executeTakeFirst();
    if (!domain) throw errors.domainNotFound();
    return domain;
  }

  async list(tenant?: Organization): Promise<Domain[]> {
    const rows = await this.db
      .selectFrom('public.domain')
      .selectAll()
      .$if(tenant !== undefined, (q) => q.where('tenant_id', '=', tenant!.id))
      .orderBy('domain')
      .execute();
    return rows.map((row) => ({ id: row.id, domain: row.domain, tenantId: row.tenant_id, isPrimary: row.is_primary }));
  }
}

/**
 * Maps a taken domain to the catalog error. Callers apply it around their
 * whole transaction too: on Citus a violation may surface only at COMMIT.
 */
export function mapDomainError(domain: string) {
  return (error: unknown): never => {
    if (uniqueViolation(error) === 'domain_domain_key') throw errors.domainTaken(domain);
    throw error;
  };
}
