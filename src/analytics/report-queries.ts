import { sql, type QueryCreator, type RawBuilder } from 'kysely';
import type { DB } from '../db/schema.ts';
import { isAnswered, isCorrect } from './answer-grading.ts';
import { loggedInViaSso, userIdentifier } from './learner-identity.ts';
import { latestSessions, liveQuestions } from './plio-rows.ts';
import type { KeysetQuery } from './row-reader.ts';

/**
 * The report's queries, one per file, in the tenant's schema. Soft-deleted
 * sessions, answers, events, items and questions are left out everywhere.
 * The per-learner files are keyset queries (see `row-reader.ts`), so a plio
 * with any number of sessions is read without holding them in memory.
 */

export interface ReportScope {
  readonly query: QueryCreator<DB>;
  readonly plioId: number;
  /** Name learners (email, mobile, SSO id) instead of a hash of their id. */
  readonly unmasked: boolean;
}

/** A timestamp as the reference's files show it: `2021-06-01 10:00:00.123456+00:00`. */
function timestampText(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US"+00:00"')`;
}

const trueOrFalse = (condition: RawBuilder<boolean>) => sql<'true' | 'false'>`case when ${condition} then 'true' else 'false' end`;

/** Every live session of the plio. */
export function sessionRows({ query, plioId, unmasked }: ReportScope) {
  return keyset(
    (after: number | undefined) => {
      const rows = query
        .selectFrom('session as s')
        .innerJoin('public.user as u', 'u.id', 's.user_id')
        .select([
          's.id as session_id',
          's.watch_time',
          userIdentifier(unmasked).as('user_identifier'),
          loggedInViaSso.as('has_user_logged_in_via_sso'),
          timestampText('s.created_at').as('created_at'),
          timestampText('s.updated_at').as('last_updated_at'),
        ])
        .where('s.plio_id', '=', plioId)
        .where('s.deleted_at', 'is', null)
        .orderBy('s.id');
      return after === undefined ? rows : rows.where('s.id', '>', after);
    },
    (row) => row.session_id,
  );
}

/**
 * Every live answer of every live session, graded, with the question it
 * answers; session by session, so the plan walks the plio's sessions rather
 * than every answer of the workspace.
 */
export function responseRows({ query, plioId, unmasked }: ReportScope) {
  type Key = readonly [sessionId: number, answerId: number];
  return keyset(
    (after: Key | undefined) => {
      const rows = withLearnerSessions({ query, plioId, unmasked })
        .selectFrom('learner_session as s')
        .innerJoin('session_answer as a', 'a.session_id', 's.id')
        .innerJoin('item as i', 'i.id', 'a.item_id')
        .innerJoin('question as q', 'q.item_id', 'i.id')
        .select([
          'a.id as answer_id',
          's.id as session_id',
          's.user_identifier',
          's.has_user_logged_in_via_sso',
          'a.item_id',
          'q.type as question_type',
          'q.correct_answer',
          trueOrFalse(isCorrect('a.answer', 'q.type', 'q.correct_answer')).as('is_answer_correct'),
          timestampText('a.created_at').as('answered_at'),
          'a.answer',
        ])
        .where('a.deleted_at', 'is', null)
        .where('i.deleted_at', 'is', null)
        .where('q.deleted_at', 'is', null)
        .orderBy('s.id')
        .orderBy('a.id');
      return after === undefined ? rows : rows.where(sql<boolean>`(s.id, a.id) > (${after[0]}, ${after[1]})`);
    },
    (row): Key => [row.session_id, row.answer_id],
  );
}

/** Every live event of every live session, session by session. */
export function eventRows({ query, plioId, unmasked }: ReportScope) {
  type Key = readonly [sessionId: number, eventId: number];
  return keyset(
    (after: Key | undefined) => {
      const rows = withLearnerSessions({ query, plioId, unmasked })
        .selectFrom('learner_session as s')
        .innerJoin('event as e', 'e.session_id', 's.id')
        .select([
          'e.id as event_id',
          's.id as session_id',
          's.user_identifier',
          's.has_user_logged_in_via_sso',
          'e.type as event_type',
          'e.player_time as event_player_time',
          sql<string | null>`e.details::text`.as('event_details'),
          timestampText('e.created_at').as('event_global_time'),
        ])
        .where('e.deleted_at', 'is', null)
        .orderBy('s.id')
        .orderBy('e.id');
      return after === undefined ? rows : rows.where(sql<boolean>`(s.id, e.id) > (${after[0]}, ${after[1]})`);
    },
    (row): Key => [row.session_id, row.event_id],
  );
}

/**
 * One row per learner, from their latest live session, against the plio's
 * live questions as they are now (survey questions included, as in the
 * reference). Ordered by identifier (byte order, the same on every database).
 */
export function userLevelMetricRows({ query, plioId, unmasked }: ReportScope) {
  type Key = readonly [identifier: string, userId: number];
  return keyset(
    (after: Key | undefined) => {
      const rows = query
        .with('s', (db) => latestSessions(db, plioId).select(['id', 'user_id']))
        .with('question_item', (db) => liveQuestions(db, plioId).select(['i.id as item_id', 'q.type', 'q.correct_answer']))
        .with('learner', (db) =>
          db
            .selectFrom('s')
            .innerJoin('public.user as u', 'u.id', 's.user_id')
            // One index lookup per learner: a plan that holds whatever the table
            // statistics say. One answer row per item, as in the metrics.
            .innerJoinLateral(
              (eb) =>
                eb
                  .selectFrom('session_answer as a')
                  .innerJoin('question_item as q', 'q.item_id', 'a.item_id')
                  .whereRef('a.session_id', '=', 's.id')
                  .where('a.deleted_at', 'is', null)
                  .select([
                    sql<number>`count(*) filter (where ${isAnswered('a.answer')})::int`.as('attempted'),
                    sql<number>`count(*) filter (where ${isCorrect('a.answer', 'q.type', 'q.correct_answer')})::int`.as(
                      'correct',
                    ),
                  ])
                  .as('g'),
              (join) => join.onTrue(),
            )
            .select([
              userIdentifier(unmasked).as('user_identifier'),
              's.user_id',
              loggedInViaSso.as('has_user_logged_in_via_sso'),
              'g.attempted as num_questions_attempted',
              'g.correct as num_questions_answered_correctly',
              trueOrFalse(
                sql<boolean>`g.attempted = (select count(distinct item_id) from question_item) and exists (select from question_item)`,
              ).as('are_all_questions_attempted'),
            ]),
        )
        .selectFrom('learner')
        .selectAll()
        .orderBy(sql`user_identifier collate "C"`)
        .orderBy('user_id');
      return after === undefined ? rows : rows.where(sql<boolean>`(user_identifier collate "C", user_id) > (${after[0]}, ${after[1]})`);
    },
    (row): Key => [row.user_identifier, row.user_id],
  );
}

/** The plio's items with their questions, in the order they appear. */
export function interactionRows({ query, plioId }: ReportScope) {
  return query
    .selectFrom('item as i')
    .innerJoin('question as q', 'q.item_id', 'i.id')
    .select([
      'i.id as item_id',
      'i.type as item_type',
      'i.time as item_time',
      'q.type as question_type',
      'q.text as question_text',
      sql<string | null>`q.options::text`.as('question_options'),
      'q.correct_answer as question_correct_answer',
    ])
    .where('i.plio_id', '=', plioId)
    .where('i.deleted_at', 'is', null)
    .where('q.deleted_at', 'is', null)
    .orderBy('i.time')
    .orderBy('i.id')
    .execute();
}

/** The URL of the plio's live video, or `''`. */
export async function videoUrl(query: QueryCreator<DB>, videoId: number | null): Promise<string> {
  if (videoId === null) return '';
  const video = await query.selectFrom('video').select('url').where('id', '=', videoId).where('deleted_at', 'is', null).executeTakeFirst();
  return video?.url ?? '';
}

/**
 * The plio's live sessions with their learner's identity, as `learner_session`,
 * worked out once per session (materialized) rather than once per answer or
 * event row.
 */
function withLearnerSessions({ query, plioId, unmasked }: ReportScope) {
  return query.with(
    (cte) => cte('learner_session').materialized(),
    (db) =>
      db
        .selectFrom('session as s')
        .innerJoin('public.user as u', 'u.id', 's.user_id')
        .select(['s.id', userIdentifier(unmasked).as('user_identifier'), loggedInViaSso.as('has_user_logged_in_via_sso')])
        .where('s.plio_id', '=', plioId)
        .where('s.deleted_at', 'is', null),
  );
}

function keyset<Row, Key>(rowsAfter: KeysetQuery<Row, Key>['rowsAfter'], keyOf: (row: Row) => Key): KeysetQuery<Row, Key> {
  return { rowsAfter, keyOf };
}
