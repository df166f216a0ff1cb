/**
 * A plio's whole graph (video, items, questions, images) read from one
 * workspace and written as a new draft into the same or another one:
 * `duplicate` and `copy`.
 */
import { randomInt } from 'node:crypto';
import type { QueryCreator } from 'kysely';
import type { DB, Row } from '../db/schema.ts';

type Query = QueryCreator<DB>;

export interface PlioGraph {
  plio: Row<'plio'>;
  video: Row<'video'> | undefined;
  items: Row<'item'>[];
  questions: Row<'question'>[];
  images: Row<'image'>[];
}

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** 10 random lowercase letters, as the reference's uuids. */
function randomUuid(): string {
  let uuid = '';
  for (let i = 0; i < 10; i++) uuid += String.fromCharCode(97 + randomInt(26));
  return uuid;
}

/** A plio uuid not yet used in the workspace. */
export async function newPlioUuid(query: Query): Promise<string> {
  for (;;) {
    const uuid = randomUuid();
    const taken = await query.selectFrom('plio').select('id').where('uuid', '=', uuid).executeTakeFirst();
    if (!taken) return uuid;
  }
}

export async function readPlioGraph(query: Query, plio: Row<'plio'>): Promise<PlioGraph> {
  const video =
    plio.video_id === null
      ? undefined
      : await query.selectFrom('video').selectAll().where('id', '=', plio.video_id).where('deleted_at', 'is', null).executeTakeFirst();
  const items = await query.selectFrom('item').selectAll().where('plio_id', '=', plio.id).where('deleted_at', 'is', null).orderBy('time').orderBy('id').execute();
  const questions =
    items.length === 0
      ? []
      : await query
          .selectFrom('question')
          .selectAll()
          .where('item_id', 'in', items.map((item) => item.id))
          .where('deleted_at', 'is', null)
          .orderBy('id')
          .execute();
  const imageIds = new Set<number>();
  for (const question of questions) {
    if (question.image_id !== null) imageIds.add(question.image_id);
    for (const id of Object.values(question.option_images ?? {})) if (typeof id === 'number') imageIds.add(id);
  }
  const images =
    imageIds.size === 0 ? [] : await query.selectFrom('image').selectAll().where('id', 'in', [...imageIds]).where('deleted_at', 'is', null).execute();
  return { plio, video, items, questions, images };
}

/** Writes the graph as a new draft owned by `createdById`; run it in a transaction. */
export async function writePlioGraph(query: Query, graph: PlioGraph, createdById: number): Promise<{ id: number; uuid: string }> {
  const now = new Date();
  const { plio, video } = graph;
  const videoId = video
    ? (
        await query
          .insertInto('video')
          .values({ url: video.url, title: video.title, duration: video.duration, created_by_id: createdById, created_at: now, updated_at: now })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id
    : null;
  const uuid = await newPlioUuid(query);
  const copy = await query
    .insertInto('plio')
    .values({
      uuid,
      name: plio.name,
      video_id: videoId,
      created_by_id: createdById,
      failsafe_url: plio.failsafe_url,
      status: 'draft',
      is_public: plio.is_public,
      config: json(plio.config),
      created_at: now,
      updated_at: now,
    })
    .returning(['id', 'uuid'])
    .executeTakeFirstOrThrow();

  const itemIds = new Map<number, number>();
  for (const item of graph.items) {
    const row = await query
      .insertInto('item')
      .values({ plio_id: copy.id, type: item.type, time: item.time, meta: json(item.meta), created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    itemIds.set(item.id, row.id);
  }
  const imageIds = new Map<number, number>();
  for (const image of graph.images) {
    // The file is shared: images are never hard-deleted, so both rows stay valid.
    const row = await query
      .insertInto('image')
      .values({ url: image.url, alt_text: image.alt_text, created_by_id: createdById, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    imageIds.set(image.id, row.id);
  }
  for (const question of graph.questions) {
    const itemId = itemIds.get(question.item_id);
    if (itemId === undefined) continue;
    const optionImages = question.option_images
      ? Object.fromEntries(Object.entries(question.option_images).map(([index, id]) => [index, typeof id === 'number' ? (imageIds.get(id) ?? null) : null]))
      : question.option_images;
    await query
      .insertInto('question')
      .values({
        item_id: itemId,
        type: question.type,
        text: question.text,
        options: json(question.options),
        option_images: json(optionImages),
        correct_answer: json(question.correct_answer),
        survey: question.survey,
        has_char_limit: question.has_char_limit,
        max_char_limit: question.max_char_limit,
        image_id: question.image_id === null ? null : (imageIds.get(question.image_id) ?? null),
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  return copy;
}
