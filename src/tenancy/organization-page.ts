import { sql, type Kysely } from 'kysely';
import { TENANT_TABLE_NAMES, type DB } from '../db/schema.ts';
import { toOrganization, type Organization } from './organizations.ts';

export interface OrganizationPageQuery {
  /** Matches shortcode, name or schema name (case-insensitive substring). */
  search?: string;
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

export interface OrganizationPageRow extends Organization {
  domains: string[];
  members: number;
  /** Bytes used by the schema's tables with their indexes, `null` when the schema is gone. */
  sizeBytes: number | null;
}

export interface OrganizationPage {
  rows: OrganizationPageRow[];
  /** Live organizations that match the search. */
  total: number;
  page: number;
  pageSize: number;
}

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;

/**
 * One page of live organizations, by shortcode, with their domains, member
 * count and schema size: what the console lists. The cost follows the page
 * size, not the number of organizations: one query for the page (domains
 * and members come from indexed per-row subqueries), one count, and sizes
 * for this page's schemas only, looked up by schema and table name through
 * the catalog's name index (never a pass over every relation, which takes
 * minutes at 10,000 tenants).
 */
export async function listOrganizationPage(db: Kysely<DB>, query: OrganizationPageQuery = {}): Promise<OrganizationPage> {
  const pageSize = Math.min(Math.max(1, Math.trunc(query.pageSize ?? DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE);
  const page = Math.max(1, Math.trunc(query.page ?? 1));
  const search = query.search?.trim() ?? '';
  const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const matching = db
    .selectFrom('public.organization as o')
    .where('o.deleted_at', 'is', null)
    .$if(search !== '', (q) =>
      q.where((eb) => eb.or([eb('o.shortcode', 'ilike', pattern), eb('o.name', 'ilike', pattern), eb('o.schema_name', 'ilike', pattern)])),
    );
  const [rows, count] = await Promise.all([
    matching
      .selectAll('o')
      .select((eb) => [
        eb
          .selectFrom('public.domain as d')
          .select(sql<string[]>`coalesce(array_agg(d.domain order by d.is_primary desc, d.domain), '{}')`.as('domains'))
          .whereRef('d.tenant_id', '=', 'o.id')
          .as('domains'),
        eb
          .selectFrom('public.organization_user as m')
          .select((inner) => inner.fn.countAll<number>().as('members'))
          .whereRef('m.organization_id', '=', 'o.id')
          .as('members'),
      ])
      .orderBy('o.shortcode')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute(),
    matching.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  const sizes = await schemaSizes(
    db,
    rows.filter((row) => row.schema_version !== null).map((row) => row.schema_name),
  );
  return {
    rows: rows.map((row) => ({
      ...toOrganization(row),
      domains: row.domains ?? [],
      members: Number(row.members ?? 0),
      sizeBytes: row.schema_version === null ? null : (sizes.get(row.schema_name) ?? 0),
    })),
    total: Number(count.total),
    page,
    pageSize,
  };
}

/** Bytes of the tenant tables (with indexes and TOAST) of the given schemas. */
async function schemaSizes(db: Kysely<DB>, schemas: string[]): Promise<Map<string, number>> {
  if (schemas.length === 0) return new Map();
  const { rows } = await sql<{ schema_name: string; size_bytes: number }>`
    select n.nspname as schema_name, sum(pg_total_relation_size(c.oid))::bigint as size_bytes
    from pg_namespace n
    join pg_class c on c.relnamespace = n.oid and c.relkind = 'r'
    where n.nspname = any(${schemas}::text[]) and c.relname = any(${TENANT_TABLE_NAMES}::text[])
    group by n.nspname`.execute(db);
  return new Map(rows.map((row) => [row.schema_name, Number(row.size_bytes)]));
}
