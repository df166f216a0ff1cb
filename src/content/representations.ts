/**
 * The JSON shapes of the content resources, as the reference's serializers
 * give them. Pure functions from rows to objects: loading is elsewhere.
 */
import type { Row } from '../db/schema.ts';

export type Json = Record<string, unknown>;

export const iso = (date: Date | string | null): string | null =>
  date === null ? null : (date instanceof Date ? date : new Date(date)).toISOString();

export function videoJson(video: Row<'video'> | undefined): Json {
  // The reference serializes a missing video as an object of empty fields.
  if (!video) return { url: '', title: '', duration: null };
  return {
    id: video.id,
    url: video.url,
    title: video.title,
    duration: video.duration,
    created_at: iso(video.created_at),
    updated_at: iso(video.updated_at),
  };
}

export function imageJson(image: Row<'image'>): Json {
  return {
    id: image.id,
    url: image.url,
    alt_text: image.alt_text,
    created_at: iso(image.created_at),
    updated_at: iso(image.updated_at),
  };
}

/** Images a question points at, by id, already turned into JSON. */
export type ImagesById = ReadonlyMap<number, Json>;

export function questionJson(question: Row<'question'>, images: ImagesById): Json {
  const optionImages = question.option_images;
  const hasOptionImages = optionImages !== null && typeof optionImages === 'object' && Object.keys(optionImages).length > 0;
  return {
    id: question.id,
    item: question.item_id,
    text: question.text,
    type: question.type,
    options: question.options,
    option_images: hasOptionImages
      ? Object.fromEntries(
          Object.entries(optionImages).map(([index, id]) => [index, typeof id === 'number' ? (images.get(id) ?? null) : null]),
        )
      : optionImages,
    correct_answer: question.correct_answer,
    survey: question.survey,
    // a deleted image shows as none
    image: question.image_id === null ? null : (images.get(question.image_id) ?? null),
    has_char_limit: question.has_char_limit,
    max_char_limit: question.max_char_limit,
    created_at: iso(question.created_at),
    updated_at: iso(question.updated_at),
  };
}

export function itemJson(item: Row<'item'>, question: Row<'question'> | undefined, images: ImagesById): Json {
  return {
    id: item.id,
    plio: item.plio_id,
    type: item.type,
    time: item.time,
    meta: item.meta,
    created_at: iso(item.created_at),
    updated_at: iso(item.updated_at),
    ...(item.type === 'question' ? { details: question ? questionJson(question, images) : {} } : {}),
  };
}

/** A plio without its creator: the part that lives in the tenant's schema (and in the cache). */
export function plioContentJson(plio: Row<'plio'>, video: Row<'video'> | undefined, items: Json[]): Json {
  return {
    id: plio.id,
    name: plio.name,
    uuid: plio.uuid,
    failsafe_url: plio.failsafe_url,
    status: plio.status,
    is_public: plio.is_public,
    config: plio.config,
    video: videoJson(video),
    created_at: iso(plio.created_at),
    updated_at: iso(plio.updated_at),
    items,
  };
}

export function experimentJson(experiment: Row<'experiment'>, creator: Json | number): Json {
  return {
    id: experiment.id,
    name: experiment.name,
    description: experiment.description,
    is_test: experiment.is_test,
    type: experiment.type,
    created_by: creator,
    created_at: iso(experiment.created_at),
    updated_at: iso(experiment.updated_at),
  };
}

export function tagJson(tag: Row<'tag'>): Json {
  return { id: tag.id, name: tag.name, slug: tag.slug, created_at: iso(tag.created_at), updated_at: iso(tag.updated_at) };
}
