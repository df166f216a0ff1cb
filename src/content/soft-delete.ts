/**
 * Soft delete with the reference's cascades: rows get `deleted_at` and every
 * read hides them. Plio → items, sessions, experiment-plios; item →
 * question, session answers; question → its image; session → answers,
 * events. Videos, experiments and users are never cascaded into.
 *
 * Call inside one transaction (`scope.transaction`) so a cascade is all or nothing.
 */
import type { QueryCreator } from 'kysely';
import type { DB } from '../db/schema.ts';

type Query = QueryCreator<DB>;
type Table = 'plio' | 'item' | 'question' | 'image' | 'session' | 'session_answer' | 'event' | 'video' | 'experiment' | 'tag';

async function mark(query: Query, table: Table, column: 'id' | 'plio_id' | 'item_id' | 'session_id', ids: readonly number[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await query
    .updateTable(table as 'plio')
    .set({ deleted_at: now, updated_at: now })
    .where(column as 'id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
}

async function liveIds(query: Query, table: 'item' | 'question' | 'session', column: 'plio_id' | 'item_id', ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await query
    .selectFrom(table as 'item')
    .select('id')
    .where(column as 'plio_id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((row) => row.id);
}

export async function softDeleteSessions(query: Query, sessionIds: readonly number[], now = new Date()): Promise<void> {
  await mark(query, 'session_answer', 'session_id', sessionIds, now);
  await mark(query, 'event', 'session_id', sessionIds, now);
  await mark(query, 'session', 'id', sessionIds, now);
}

export async function softDeleteQuestions(query: Query, questionIds: readonly number[], now = new Date()): Promise<void> {
  if (questionIds.length === 0) return;
  const withImages = await query
    .selectFrom('question')
    .select('image_id')
    .where('id', 'in', questionIds)
    .where('deleted_at', 'is', null)
    .where('image_id', 'is not', null)
    .execute();
  await mark(query, 'question', 'id', questionIds, now);
  await mark(
    query,
    'image',
    'id',
    withImages.map((row) => row.image_id as number),
    now,
  );
}

export async function softDeleteItems(query: Query, itemIds: readonly number[], now = new Date()): Promise<void> {
  if (itemIds.length === 0) return;
  await softDeleteQuestions(query, await liveIds(query, 'question', 'item_id', itemIds), now);
  await mark(query, 'session_answer', 'item_id', itemIds, now);
  await mark(query, 'item', 'id', itemIds, now);
}

export async function softDeletePlios(query: Query, plioIds: readonly number[], now = new Date()): Promise<void> {
  if (plioIds.length === 0) return;
  await softDeleteItems(query, await liveIds(query, 'item', 'plio_id', plioIds), now);
  await softDeleteSessions(query, await liveIds(query, 'session', 'plio_id', plioIds), now);
  await query.updateTable('experiment_plio').set({ deleted_at: now }).where('plio_id', 'in', plioIds).where('deleted_at', 'is', null).execute();
  await mark(query, 'plio', 'id', plioIds, now);
}

/** Tables with no cascade of their own. */
export async function softDeleteRows(query: Query, table: 'video' | 'image' | 'experiment' | 'tag' | 'session_answer' | 'event', ids: readonly number[], now = new Date()): Promise<void> {
  await mark(query, table, 'id', ids, now);
}
