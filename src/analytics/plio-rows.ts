import type { QueryCreator } from 'kysely';
import type { DB } from '../db/schema.ts';

/**
 * The rows every analytics query starts from, so metrics and the report
 * agree on what counts: soft-deleted rows never do.
 */

/** Each viewer's latest live session of the plio (add the columns you need). */
export function latestSessions(db: QueryCreator<DB>, plioId: number) {
  return db
    .selectFrom('session')
    .distinctOn('user_id')
    .where('plio_id', '=', plioId)
    .where('deleted_at', 'is', null)
    .orderBy('user_id')
    .orderBy('id', 'desc');
}

/** The plio's live questions joined to their live items, as `i` and `q`. */
export function liveQuestions(db: QueryCreator<DB>, plioId: number) {
  return db
    .selectFrom('item as i')
    .innerJoin('question as q', 'q.item_id', 'i.id')
    .where('i.plio_id', '=', plioId)
    .where('i.deleted_at', 'is', null)
    .where('q.deleted_at', 'is', null);
}
