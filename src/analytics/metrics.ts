import { sql, type QueryCreator } from 'kysely';
import type { DB, Row } from '../db/schema.ts';
import { isAnswered, matchesCorrectAnswer } from './answer-grading.ts';
import { latestSessions, liveQuestions } from './plio-rows.ts';

/** What the dashboard shows for a plio, with the reference's names. */
export interface PlioMetrics {
  unique_viewers: number;
  /** Mean watch time, in seconds, of each viewer's latest session. */
  average_watch_time: number;
  /** % of viewers still watching after the first minute; null for videos under a minute. */
  percent_one_minute_retention: number | null;
  /** Mean, over viewers who answered something, of their % of correct answers. */
  accuracy: number | null;
  /** Questions answered per viewer, rounded half to even (as the reference's Python did). */
  average_num_answered: number | null;
  /** % of viewers who answered every question. */
  percent_completed: number | null;
  has_survey_question: boolean;
}

/** Seconds of video before retention is measured: the reference's "one minute". */
const RETENTION_MARK_SECONDS = 60;

/** Before anyone has watched: only whether the dashboard should warn about survey questions. */
export type UnwatchedPlioMetrics = Pick<PlioMetrics, 'has_survey_question'>;

/**
 * The plio's metrics over each viewer's latest live session, in one query in
 * the tenant's schema; `{has_survey_question}` alone when nobody has watched
 * it yet (as the reference).
 *
 * Question metrics use the live, non-survey questions of the plio as they are
 * now: an answer row missing from an older session (a question added later)
 * counts as not answered, and answers to deleted questions do not count.
 * They are null when the plio has no such question.
 */
export async function plioMetrics(query: QueryCreator<DB>, plio: Pick<Row<'plio'>, 'id' | 'video_id'>): Promise<PlioMetrics | UnwatchedPlioMetrics> {
  const metrics = await metricsQuery(query, plio).executeTakeFirstOrThrow();
  return metrics.unique_viewers > 0 ? metrics : { has_survey_question: metrics.has_survey_question };
}

/** The one query behind `plioMetrics`. */
function metricsQuery(query: QueryCreator<DB>, plio: Pick<Row<'plio'>, 'id' | 'video_id'>) {
  return query
    .with('latest', (db) => latestSessions(db, plio.id).select(['id', 'watch_time', 'retention_seconds', 'retention_reach']))
    .with('question_item', (db) => liveQuestions(db, plio.id).select(['i.id as item_id', 'q.type', 'q.correct_answer', 'q.survey']))
    .with('facts', (db) =>
      db.selectFrom('question_item').select((eb) => [
        sql<number>`count(distinct item_id) filter (where not survey)::int`.as('num_questions'),
        sql<boolean>`coalesce(bool_or(survey), false)`.as('has_survey_question'),
        plio.video_id === null
          ? sql<number | null>`null::float8`.as('duration')
          : eb
              .selectFrom('video')
              .select('duration')
              .where('id', '=', plio.video_id)
              .where('deleted_at', 'is', null)
              .as('duration'),
      ]),
    )
    .with('viewers', (db) =>
      db
        .selectFrom('latest as l')
        .innerJoin('facts as f', (join) => join.onTrue())
        .select([
          sql<number>`count(*)::int`.as('viewers'),
          sql<number>`avg(l.watch_time)`.as('average_watch_time'),
          sql<number>`count(*) filter (where ${retainedPastMark()})::int`.as('retained'),
        ]),
    )
    // One row per viewer who answered something. A session holds one answer
    // row per item (sessions are created so), which spares a count(distinct).
    .with('graded', (db) =>
      db
        .selectFrom('latest as l')
        .innerJoin('session_answer as a', 'a.session_id', 'l.id')
        .innerJoin('question_item as q', 'q.item_id', 'a.item_id')
        .where('a.deleted_at', 'is', null)
        .where('q.survey', '=', false)
        .where(isAnswered('a.answer'))
        .groupBy('l.id')
        .select([
          sql<number>`count(*)::int`.as('answered'),
          sql<number>`count(*) filter (where ${matchesCorrectAnswer('a.answer', 'q.type', 'q.correct_answer')})::int`.as('correct'),
        ]),
    )
    .with('answers', (db) =>
      db
        .selectFrom('graded as g')
        .innerJoin('facts as f', (join) => join.onTrue())
        .select([
          sql<number>`coalesce(sum(g.answered), 0)::int`.as('answered'),
          sql<number>`count(*) filter (where g.answered = f.num_questions)::int`.as('completed'),
          sql<number | null>`avg(g.correct::numeric / g.answered)`.as('accuracy'),
        ]),
    )
    // Each of viewers, facts and answers is one row: the plan cannot go wrong.
    // The row is read even without viewers (for has_survey_question): hence nullif in the divisions.
    .selectFrom(['viewers as v', 'facts as f', 'answers as g'])
    .select([
      'v.viewers as unique_viewers',
      'v.average_watch_time',
      sql<number | null>`case when f.duration is null or f.duration < ${RETENTION_MARK_SECONDS} then null
        else round(100 * v.retained::numeric / nullif(v.viewers, 0), 2)::float8 end`.as('percent_one_minute_retention'),
      sql<number | null>`case when f.num_questions = 0 then null else round(100 * g.accuracy, 2)::float8 end`.as('accuracy'),
      sql<number | null>`case when f.num_questions = 0 then null else round(g.answered::float8 / nullif(v.viewers, 0))::int end`.as(
        'average_num_answered',
      ),
      sql<number | null>`case when f.num_questions = 0 then null else round(100 * g.completed::numeric / nullif(v.viewers, 0), 2)::float8 end`.as(
        'percent_completed',
      ),
      'f.has_survey_question',
    ]);
}

/**
 * Whether the latest session `l` was still watching after the mark, given
 * the video's duration `f.duration`. Retention is one count per second of
 * video ("0,1,1,0"); a string of another length, or with anything but
 * counts in it ("NaN,NaN", empty), cannot say and counts as not retained.
 * The session keeps the string's length and the position of its last
 * non-zero count (`src/learning/retention-facts.ts`).
 */
function retainedPastMark() {
  return sql<boolean>`(f.duration = trunc(f.duration)
    and l.retention_seconds = f.duration::int
    and l.retention_reach >= ${sql.lit(RETENTION_MARK_SECONDS)})`;
}
