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

  // The latest event of every session of the same learners and plios, to walk back from each session.
  const groupSessions = await query
    .selectFrom('session')
    .select(['id', 'user_id', 'plio_id'])
    .where('user_id', 'in', [...new Set(sessions.map((session) => session.user_id))])
    .where('plio_id', 'in', [...new Set(sessions.map((session) => session.plio_id))])
    .where('deleted_at', 'is', null)
    .where('id', '<=', Math.max(...sessionIds))
    .orderBy('id', 'desc')
    .execute();
  const latestEvents = groupSessions.length
    ? await query
        .selectFrom('event')
        .selectAll()
        .distinctOn('session_id')
        .where(
          'session_id',
          'in',
          groupSessions.map((session) => session.id),
        )
        .where('deleted_at', 'is', null)
        .orderBy('session_id')
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
    : [];
  const latestEvent = new Map(latestEvents.map((event) => [event.session_id, event]));
  const lastEvent = (session: Row<'session'>): Json => {
    for (const earlier of groupSessions) {
      if (earlier.id > session.id || earlier.user_id !== session.user_id || earlier.plio_id !== session.plio_id) continue;
      const event = latestEvent.get(earlier.id);
      if (event) return eventJson(event);
    }
    return { ...NO_EVENT };
  };

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
    last_event: lastEvent(session),
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
