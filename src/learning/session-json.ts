/**
 * Sessions as the reference shows them: the plio (from the cache), the
 * user, the experiment, the last event (walking back through the learner's
 * earlier sessions of the plio) and the answers — a fixed number of queries
 * for any number of sessions.
 */
import type { FastifyRequest } from 'fastify';
import type { ContentDeps } from '../content/content-deps.ts';
import { experimentsJson } from '../content/experiment-json.ts';
import { plioJsonMany } from '../content/plio-json.ts';
import { loadPliosById } from '../content/plio-loader.ts';
import { iso, type Json } from '../content/representations.ts';
import { loadUserSummaries } from '../content/user-summaries.ts';
import type { Row } from '../db/schema.ts';

/** The reference's serialization of "no event": its fields, empty. */
const NO_EVENT = Object.freeze({ type: null, player_time: null, details: null, session: null });

export function eventJson(event: Row<'event'>): Json {
  return {
    id: event.id,
    type: event.type,
    player_time: event.player_time,
    details: event.details,
    session: event.session_id,
    created_at: iso(event.created_at),
    updated_at: iso(event.updated_at),
  };
}

export function sessionAnswerJson(answer: Row<'session_answer'>): Json {
  return {
    id: answer.id,
    answer: answer.answer,
    item: answer.item_id,
    session: answer.session_id,
    created_at: iso(answer.created_at),
    updated_at: iso(answer.updated_at),
  };
}

export async function sessionsJson(request: FastifyRequest, deps: ContentDeps, sessions: readonly Row<'session'>[]): Promise<Json[]> {
  if (sessions.length === 0) return [];
  const query = request.scope.query;
  const sessionIds = sessions.map((session) => session.id);

  const plios = await loadPliosById(
    query,
    deps.cache,
    request.scope.schema,
    sessions.map((session) => session.plio_id),
  );
  const plioJson = new Map((await plioJsonMany(deps.context.db, [...plios.values()])).map((json) => [json.id as number, json]));
  const users = await loadUserSummaries(
    deps.context.db,
    sessions.map((session) => session.user_id),
  );
  const experimentIds = [...new Set(sessions.map((session) => session.experiment_id).filter((id): id is number => id !== null))];
  const experiments = experimentIds.length
    ? await experimentsJson(deps.context.db, await query.selectFrom('experiment').selectAll().where('id', 'in', experimentIds).execute())
    : [];
  const experimentJson = new Map(experiments.map((json) => [json.id as number, json]));

  const answers = await query
    .selectFrom('session_answer as sa')
    .innerJoin('item as i', 'i.id', 'sa.item_id')
    .selectAll('sa')
    .where('sa.session_id', 'in', sessionIds)
    .where('sa.deleted_at', 'is', null)
    .orderBy('i.time')
    .orderBy('sa.id')
    .execute();

  // Each session's last event: the latest live event of the newest of the
  // learner's live sessions of the plio, up to this one, that has any.
  const lastEvents = await query
    .selectFrom('session as x')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('session as s')
          .innerJoin('event as e', 'e.session_id', 's.id')
          .selectAll('e')
          .whereRef('s.user_id', '=', 'x.user_id')
          .whereRef('s.plio_id', '=', 'x.plio_id')
          .whereRef('s.id', '<=', 'x.id')
          .where('s.deleted_at', 'is', null)
          .where('e.deleted_at', 'is', null)
          .orderBy('s.id', 'desc')
          .orderBy('e.updated_at', 'desc')
          .orderBy('e.id', 'desc')
          .limit(1)
          .as('last'),
      (join) => join.onTrue(),
    )
    .selectAll('last')
    .select('x.id as for_session')
    .where('x.id', 'in', sessionIds)
    .execute();
  const lastEvent = new Map(lastEvents.map(({ for_session, ...event }) => [for_session, eventJson(event)]));

  return sessions.map((session) => ({
    id: session.id,
    retention: session.retention,
    has_video_played: session.has_video_played,
    experiment: session.experiment_id === null ? null : (experimentJson.get(session.experiment_id) ?? session.experiment_id),
    watch_time: session.watch_time,
    plio: plioJson.get(session.plio_id) ?? session.plio_id,
    user: users.get(session.user_id) ?? session.user_id,
    is_first: session.is_first,
    created_at: iso(session.created_at),
    updated_at: iso(session.updated_at),
    last_event: lastEvent.get(session.id) ?? { ...NO_EVENT },
    session_answers: answers
      .filter((answer) => answer.session_id === session.id)
      .map((answer) => ({
        id: answer.id,
        session_id: answer.session_id,
        item_id: answer.item_id,
        answer: answer.answer,
        created_at: iso(answer.created_at),
        updated_at: iso(answer.updated_at),
      })),
  }));
}
