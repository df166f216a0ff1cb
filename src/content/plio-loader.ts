/**
 * Reads plios with their video, items, questions and images in a fixed
 * number of queries whatever their size, and keeps the result in the cache.
 */
import { sql, type QueryCreator } from 'kysely';
import type { Cache } from '../cache/index.ts';
import { plioKey, plioListsKey } from './cache-keys.ts';
import type { DB, Row } from '../db/schema.ts';
import { imageJson, itemJson, plioContentJson, type ImagesById, type Json } from './representations.ts';

/** What access checks need to know about a plio. */
export interface PlioRecord {
  id: number;
  uuid: string;
  name: string;
  status: 'draft' | 'published';
  is_public: boolean;
  created_by_id: number;
  video_id: number | null;
}

/** A plio as cached: its access facts and its JSON without the creator. */
export interface LoadedPlio {
  plio: PlioRecord;
  content: Json;
}

type Query = QueryCreator<DB>;

function record(row: Row<'plio'>): PlioRecord {
  return {
    id: row.id,
    uuid: row.uuid,
    name: row.name,
    status: row.status,
    is_public: row.is_public,
    created_by_id: row.created_by_id,
    video_id: row.video_id,
  };
}

/** Items (with their question and images) of many plios: three queries. */
export async function loadItemsJson(query: Query, plioIds: readonly number[]): Promise<Map<number, Json[]>> {
  const byPlio = new Map<number, Json[]>(plioIds.map((id) => [id, []]));
  if (plioIds.length === 0) return byPlio;
  const items = await query
    .selectFrom('item')
    .selectAll()
    .where('plio_id', 'in', plioIds)
    .where('deleted_at', 'is', null)
    .orderBy('time')
    .orderBy('id')
    .execute();
  const json = await itemsJson(query, items);
  items.forEach((item, index) => byPlio.get(item.plio_id)?.push(json[index] as Json));
  return byPlio;
}

/** Items as JSON with their question and images: two queries for any number. */
export async function itemsJson(query: Query, items: readonly Row<'item'>[]): Promise<Json[]> {
  if (items.length === 0) return [];
  const questions = await query
    .selectFrom('question')
    .selectAll()
    .where(
      'item_id',
      'in',
      items.map((item) => item.id),
    )
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  const images = await loadImagesJson(query, questions);
  const questionOfItem = new Map<number, Row<'question'>>();
  for (const question of questions) if (!questionOfItem.has(question.item_id)) questionOfItem.set(question.item_id, question);
  return items.map((item) => itemJson(item, questionOfItem.get(item.id), images));
}

/** The images questions point at (their own and their options'), in one query. */
export async function loadImagesJson(query: Query, questions: readonly Row<'question'>[]): Promise<ImagesById> {
  const ids = new Set<number>();
  for (const question of questions) {
    if (question.image_id !== null) ids.add(question.image_id);
    const optionImages = question.option_images;
    if (optionImages && typeof optionImages === 'object') {
      for (const id of Object.values(optionImages)) if (typeof id === 'number' && Number.isSafeInteger(id)) ids.add(id);
    }
  }
  if (ids.size === 0) return new Map();
  const rows = await query.selectFrom('image').selectAll().where('id', 'in', [...ids]).where('deleted_at', 'is', null).execute();
  return new Map(rows.map((row) => [row.id, imageJson(row)]));
}

/** Live plios with video, items, questions and images: five queries for any number of plios. */
async function loadFromDatabase(query: Query, where: { uuids: readonly string[] } | { ids: readonly number[] }): Promise<LoadedPlio[]> {
  const keys = 'uuids' in where ? where.uuids : where.ids;
  if (keys.length === 0) return [];
  let select = query.selectFrom('plio').selectAll().where('deleted_at', 'is', null);
  select = 'uuids' in where ? select.where('uuid', 'in', where.uuids) : select.where('id', 'in', where.ids);
  const plios = await select.execute();
  if (plios.length === 0) return [];
  const videoIds = [...new Set(plios.map((plio) => plio.video_id).filter((id): id is number => id !== null))];
  const videos = videoIds.length
    ? new Map((await query.selectFrom('video').selectAll().where('id', 'in', videoIds).where('deleted_at', 'is', null).execute()).map((video) => [video.id, video]))
    : new Map<number, Row<'video'>>();
  const items = await loadItemsJson(
    query,
    plios.map((plio) => plio.id),
  );
  return plios.map((plio) => ({
    plio: record(plio),
    content: plioContentJson(plio, plio.video_id === null ? undefined : videos.get(plio.video_id), items.get(plio.id) ?? []),
  }));
}

/** A live plio by uuid, from the cache when it holds it. */
export async function loadPlio(query: Query, cache: Cache, schema: string, uuid: string): Promise<LoadedPlio | undefined> {
  const key = plioKey(schema, uuid);
  const cached = await cache.get<LoadedPlio>(key);
  if (cached) return cached;
  const version = await cache.version(key);
  const [loaded] = await loadFromDatabase(query, { uuids: [uuid] });
  if (loaded) await cache.set(key, loaded, version);
  return loaded;
}

/** Many live plios by id (sessions, experiments): the cache first, then the misses together. */
export async function loadPliosById(query: Query, cache: Cache, schema: string, ids: readonly number[]): Promise<Map<number, LoadedPlio>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const refs = await query.selectFrom('plio').select(['id', 'uuid']).where('id', 'in', unique).where('deleted_at', 'is', null).execute();
  return loadPliosByRef(query, cache, schema, refs);
}

/** Plios whose id and uuid the caller knows (a list page): the cache first, then the misses together. */
export async function loadPliosByRef(
  query: Query,
  cache: Cache,
  schema: string,
  refs: readonly { id: number; uuid: string }[],
): Promise<Map<number, LoadedPlio>> {
  const found = new Map<number, LoadedPlio>();
  const misses: number[] = [];
  const versions = new Map<string, string>();
  for (const { id, uuid } of refs) {
    const key = plioKey(schema, uuid);
    const cached = await cache.get<LoadedPlio>(key);
    if (cached) {
      found.set(id, cached);
    } else {
      misses.push(id);
      versions.set(key, await cache.version(key));
    }
  }
  for (const loaded of await loadFromDatabase(query, { ids: misses })) {
    found.set(loaded.plio.id, loaded);
    const key = plioKey(schema, loaded.plio.uuid);
    await cache.set(key, loaded, versions.get(key));
  }
  return found;
}

/**
 * Forgets cached plios (after any change to them or to what they embed, or
 * a new plio), and the workspace's cached list pages with them.
 */
export async function invalidatePlios(cache: Cache, schema: string, uuids: readonly string[]): Promise<void> {
  await cache.invalidate([plioListsKey(schema), ...[...new Set(uuids)].map((uuid) => plioKey(schema, uuid))]);
}

/**
 * Forgets the cached plios that show an image (as a question's image or an
 * option's) or a video, after it changed.
 */
export async function invalidatePliosShowing(
  query: Query,
  cache: Cache,
  schema: string,
  shown: { image: number } | { video: number },
): Promise<void> {
  const rows =
    'video' in shown
      ? await query.selectFrom('plio').select('uuid').where('video_id', '=', shown.video).execute()
      : await query
          .selectFrom('plio as p')
          .innerJoin('item as i', 'i.plio_id', 'p.id')
          .innerJoin('question as q', 'q.item_id', 'i.id')
          .select('p.uuid')
          .where((eb) =>
            eb.or([
              eb('q.image_id', '=', shown.image),
              sql<boolean>`exists (select 1 from jsonb_each_text(case when jsonb_typeof(q.option_images) = 'object' then q.option_images else '{}'::jsonb end) as e where e.value = ${String(shown.image)})`,
            ]),
          )
          .execute();
  await invalidatePlios(
    cache,
    schema,
    rows.map((row) => row.uuid),
  );
}

/** Forgets the workspace's cached list pages alone (a plio's viewers changed). */
export async function invalidatePlioLists(cache: Cache, schema: string): Promise<void> {
  await cache.invalidate([plioListsKey(schema)]);
}
