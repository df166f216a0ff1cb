/**
 * `GET /plios/`: the workspace's plios the user may list, searched, ordered
 * and paginated as the reference does (page size 5), with `unique_viewers`
 * and items — a fixed number of queries for the page.
 */
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { CurrentUser } from '../accounts/current-user.ts';
import { errors } from '../errors.ts';
import { isWorkspaceMember } from './plio-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { loadItemsJson } from './plio-loader.ts';
import { iso, type Json } from './representations.ts';

export const PAGE_SIZE = 5;
const ORDERABLE = new Set(['unique_viewers', 'name', 'updated_at', 'created_at']);

const livePlios = (request: FastifyRequest) => request.scope.query.selectFrom('plio as p').where('p.deleted_at', 'is', null);
type PlioQuery = ReturnType<typeof livePlios>;

/** `?ordering=-name,created_at`: allowed fields kept in order, the rest ignored; `-updated_at` by default. */
export function parseOrdering(raw: string | undefined): { field: string; descending: boolean }[] {
  const fields = (raw ?? '')
    .split(',')
    .map((field) => field.trim())
    .filter((field) => ORDERABLE.has(field.replace(/^-/, '')))
    .map((field) => ({ field: field.replace(/^-/, ''), descending: field.startsWith('-') }));
  return fields.length > 0 ? fields : [{ field: 'updated_at', descending: true }];
}

/** `?search=`: every term must match the name, status, uuid or update time. */
function applySearch(query: PlioQuery, search: string | undefined): PlioQuery {
  const terms = (search ?? '').split(/[\s,]+/).filter(Boolean).slice(0, 20);
  for (const term of terms) {
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('p.name', 'ilike', pattern),
        eb(sql<string>`p.status`, 'ilike', pattern),
        eb('p.uuid', 'ilike', pattern),
        eb(sql`cast(p.updated_at as text)`, 'ilike', pattern),
      ]),
    );
  }
  return query;
}


function pageLink(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

export async function listPlios(
  request: FastifyRequest<{ Querystring: { page?: string; search?: string; ordering?: string } }>,
  user: CurrentUser,
  deps: ContentDeps,
): Promise<Json> {
  const empty = { count: 0, page_size: PAGE_SIZE, next: null, previous: null, results: [], raw_count: 0 };
  let base = livePlios(request);
  if (request.scope.isPersonalWorkspace) {
    base = base.where('p.created_by_id', '=', user.id);
  } else if (await isWorkspaceMember(request, deps.context.db)) {
    base = base.where((eb) => eb.or([eb('p.is_public', '=', true), eb('p.created_by_id', '=', user.id)]));
  } else {
    return empty;
  }

  const count = async (query: PlioQuery) => Number((await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const filtered = applySearch(base, request.query.search);
  const rawPage = request.query.page ?? '1';
  // `?page=last` needs the total before the page; other pages read it from
  // the page itself (a window count), one query fewer on the common path.
  const knownTotal = rawPage === 'last' ? await count(filtered) : undefined;
  const page =
    rawPage === 'last' ? Math.max(1, Math.ceil((knownTotal ?? 0) / PAGE_SIZE)) : /^\d{1,9}$/.test(rawPage) ? Number(rawPage) : NaN;
  if (!(page >= 1)) throw errors.notFoundWith('Invalid page.');

  let rowsQuery = filtered
    .selectAll('p')
    .select((eb) => [
      eb
        .selectFrom('session as s')
        .select((inner) => inner.fn.count<string>('s.user_id').distinct().as('viewers'))
        .whereRef('s.plio_id', '=', 'p.id')
        .where('s.deleted_at', 'is', null)
        .as('unique_viewers'),
      sql<string>`count(*) over ()`.as('total'),
    ]);
  for (const { field, descending } of parseOrdering(request.query.ordering)) {
    const direction = descending ? 'desc' : 'asc';
    rowsQuery = field === 'unique_viewers' ? rowsQuery.orderBy('unique_viewers', direction) : rowsQuery.orderBy(`p.${field as 'name'}`, direction);
  }
  const rows = await rowsQuery
    .orderBy('p.id', 'desc')
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .execute();
  // An empty page past the first is past the end; an empty first page means no plios.
  if (rows.length === 0 && page > 1) throw errors.notFoundWith('Invalid page.');
  const total = knownTotal ?? Number(rows[0]?.total ?? 0);
  const rawCount = filtered === base ? total : await count(base);
  const lastPage = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const items = await loadItemsJson(
    request.scope.query,
    rows.map((row) => row.id),
  );
  const results = rows.map((row) => ({
    id: row.id,
    video_id: row.video_id,
    name: row.name,
    uuid: row.uuid,
    created_by_id: row.created_by_id,
    failsafe_url: row.failsafe_url,
    status: row.status,
    is_public: row.is_public,
    config: row.config,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    unique_viewers: Number(row.unique_viewers),
    items: items.get(row.id) ?? [],
  }));
  return {
    count: total,
    page_size: PAGE_SIZE,
    next: page < lastPage ? pageLink(request, page + 1) : null,
    previous: page > 1 ? pageLink(request, page - 1) : null,
    results,
    raw_count: rawCount,
  };
}
