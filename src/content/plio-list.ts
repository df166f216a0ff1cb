/**
 * `GET /plios/`: the workspace's plios the user may list, searched, ordered
 * and paginated as the reference does (page size 5), with `unique_viewers`,
 * `video_url` and items — a fixed number of queries for the page.
 */
import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { CurrentUser } from '../accounts/current-user.ts';
import { cacheKey } from '../cache/index.ts';
import { errors } from '../errors.ts';
import { isWorkspaceMember } from './plio-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { plioListsKey } from './cache-keys.ts';
import { loadPliosByRef } from './plio-loader.ts';
import type { Json } from './representations.ts';

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
function applySearch(query: PlioQuery, search: string): PlioQuery {
  const terms = search.split(/[\s,]+/).filter(Boolean).slice(0, 20);
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


/**
 * The list's `next`/`previous` link: `PUBLIC_URL` plus the path the client
 * asked for (before a `host/segment` domain was stripped), never the
 * request's `Host`.
 */
function pageLink(request: FastifyRequest, publicUrl: string, page: number): string {
  const url = new URL(publicUrl + request.originalUrl);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

/** What a cached list page holds: the order and the counts; the plios themselves come from the plio cache. */
interface ListPage {
  /** The page number (`?page=last` resolved). */
  page: number;
  total: number;
  rawCount: number;
  rows: { id: number; uuid: string; unique_viewers: number }[];
}

type ListRequest = FastifyRequest<{ Querystring: { page?: string; search?: string; ordering?: string } }>;

export async function listPlios(request: ListRequest, user: CurrentUser, deps: ContentDeps): Promise<Json> {
  let base = livePlios(request);
  if (request.scope.isPersonalWorkspace) {
    base = base.where('p.created_by_id', '=', user.id);
  } else if (await isWorkspaceMember(request, deps.context.db)) {
    base = base.where((eb) => eb.or([eb('p.is_public', '=', true), eb('p.created_by_id', '=', user.id)]));
  } else {
    return { count: 0, page_size: PAGE_SIZE, next: null, previous: null, results: [], raw_count: 0 };
  }
  const rawPage = request.query.page ?? '1';
  if (rawPage !== 'last' && !(/^\d{1,9}$/.test(rawPage) && Number(rawPage) >= 1)) throw errors.notFoundWith('Invalid page.');

  // Pages are stored under the version of the workspace's list key: any
  // write that can change a page bumps it, and a page read while one
  // happened lands under the old version, where nobody looks any more.
  const { schema } = request.scope;
  const version = await deps.cache.version(plioListsKey(schema));
  const { search = '', ordering = '' } = request.query;
  const key = cacheKey(schema, 'plio-list-page', JSON.stringify([request.tenant?.id ?? null, version, user.id, rawPage, search, ordering]));
  let listPage = await deps.cache.get<ListPage>(key);
  if (!listPage) {
    listPage = await readListPage(base, rawPage, search, ordering);
    await deps.cache.set(key, listPage);
  }
  // An empty page past the first is past the end; an empty first page means no plios.
  if (listPage.rows.length === 0 && listPage.page > 1) throw errors.notFoundWith('Invalid page.');

  const plios = await loadPliosByRef(request.scope.query, deps.cache, schema, listPage.rows);
  const results = listPage.rows.flatMap((row) => {
    const loaded = plios.get(row.id);
    // Deleted since the page was read: its invalidation is on its way.
    if (!loaded) return [];
    const { video, ...content } = loaded.content;
    // The home page draws each row's thumbnail from `video_url` (null: no video yet).
    const videoUrl = loaded.plio.video_id === null ? null : ((video as { url?: string }).url ?? null);
    return [
      { ...content, video_id: loaded.plio.video_id, video_url: videoUrl, created_by_id: loaded.plio.created_by_id, unique_viewers: row.unique_viewers },
    ];
  });
  const { page, total } = listPage;
  const lastPage = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return {
    count: total,
    page_size: PAGE_SIZE,
    next: page < lastPage ? pageLink(request, deps.context.config.publicUrl, page + 1) : null,
    previous: page > 1 ? pageLink(request, deps.context.config.publicUrl, page - 1) : null,
    results,
    raw_count: listPage.rawCount,
  };
}

/** The page's plio ids in order, with their viewers and the counts: one query (two for `?page=last` or a search). */
async function readListPage(base: PlioQuery, rawPage: string, search: string, ordering: string): Promise<ListPage> {
  const count = async (query: PlioQuery) => Number((await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const filtered = applySearch(base, search);
  // `?page=last` needs the total before the page; other pages read it from
  // the page itself (a window count).
  const knownTotal = rawPage === 'last' ? await count(filtered) : undefined;
  const page = knownTotal === undefined ? Number(rawPage) : Math.max(1, Math.ceil(knownTotal / PAGE_SIZE));

  let rowsQuery = filtered.select((eb) => [
    'p.id',
    'p.uuid',
    eb
      .selectFrom('session as s')
      .select((inner) => inner.fn.count<string>('s.user_id').distinct().as('viewers'))
      .whereRef('s.plio_id', '=', 'p.id')
      .where('s.deleted_at', 'is', null)
      .as('unique_viewers'),
    sql<string>`count(*) over ()`.as('total'),
  ]);
  for (const { field, descending } of parseOrdering(ordering)) {
    const direction = descending ? 'desc' : 'asc';
    rowsQuery = field === 'unique_viewers' ? rowsQuery.orderBy('unique_viewers', direction) : rowsQuery.orderBy(`p.${field as 'name'}`, direction);
  }
  const rows = await rowsQuery
    .orderBy('p.id', 'desc')
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .execute();
  const total = knownTotal ?? Number(rows[0]?.total ?? 0);
  return {
    page,
    total,
    rawCount: filtered === base ? total : await count(base),
    rows: rows.map((row) => ({ id: row.id, uuid: row.uuid, unique_viewers: Number(row.unique_viewers) })),
  };
}
