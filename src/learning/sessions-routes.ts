/**
 * `/api/v1/sessions/`: a learner's visits to a plio. A new session carries
 * over the learner's latest live session of the same plio (retention, watch
 * time, played flag, experiment, answers); a first session starts with one
 * empty answer per item and a zeroed retention, saved.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { Type, type Static } from 'typebox';
import { requireUser } from '../accounts/current-user.ts';
import type { ContentDeps } from '../content/content-deps.ts';
import { IdParams, parseId, RowId } from '../content/http.ts';
import { mayPlayPlio } from '../content/plio-access.ts';
import { invalidatePlioLists } from '../content/plio-loader.ts';
import { softDeleteSessions } from '../content/soft-delete.ts';
import { errors } from '../errors.ts';
import { ownSessions } from './own-sessions.ts';
import { withRetentionFacts } from './retention-facts.ts';
import { sessionsJson } from './session-json.ts';

const tags = ['sessions'];
const SessionFields = {
  plio: RowId,
  experiment: Type.Union([RowId, Type.Null()]),
  retention: Type.String({ maxLength: 200_000 }),
  watch_time: Type.Number({ minimum: 0, maximum: 1e9 }),
  has_video_played: Type.Boolean(),
};
const UpdateSession = Type.Partial(Type.Object(SessionFields));
type UpdateSession = Static<typeof UpdateSession>;
const CreateSession = Type.Intersect([UpdateSession, Type.Object({ plio: RowId })]);
const PlioFilter = Type.Object({ plio: Type.Optional(Type.String({ maxLength: 50 })) });

/** `"0,0,…"`: one zero per whole second of the video. */
export function zeroRetention(duration: number | null | undefined): string {
  const seconds = Math.max(0, Math.floor(duration ?? 0));
  return Array.from({ length: Math.min(seconds, 100_000) }, () => '0').join(',');
}

export async function sessionRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const findOwn = async (request: FastifyRequest, rawId: string) => {
    const session = await ownSessions(request).where('id', '=', parseId(rawId)).executeTakeFirst();
    if (!session) throw errors.notFound();
    return session;
  };
  const assertExperimentExists = async (request: FastifyRequest, experiment: number | null | undefined) => {
    if (experiment === null || experiment === undefined) return;
    const row = await request.scope.query.selectFrom('experiment').select('id').where('id', '=', experiment).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw errors.invalidReference('experiment', experiment);
  };

  /** The learner's own live sessions, of one plio when `?plio=<uuid>` is given. */
  const listedSessions = (request: FastifyRequest<{ Querystring: Static<typeof PlioFilter> }>) => {
    const uuid = request.query.plio;
    const query = ownSessions(request);
    return uuid === undefined ? query : query.where('plio_id', 'in', (eb) => eb.selectFrom('plio').select('id').where('uuid', '=', uuid));
  };

  app.get('/api/v1/sessions/', { schema: { tags, querystring: PlioFilter } }, async (request) =>
    sessionsJson(request, deps, await listedSessions(request).orderBy('id', 'desc').execute()),
  );

  // The reference's `unique_users` action counts the rows of the listing
  // (its annotate() never groups them): the learner's own sessions, of the
  // plio when given. Kept as it answers, despite the name.
  app.get(
    '/api/v1/sessions/unique_users/',
    {
      schema: {
        tags,
        summary: "Number of the signed-in learner's live sessions (of the plio given by ?plio=uuid)",
        querystring: PlioFilter,
        response: { 200: Type.Integer({ minimum: 0 }) },
      },
    },
    async (request) => {
      const row = await listedSessions(request)
        .clearSelect()
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  );

  app.post('/api/v1/sessions/', { schema: { tags, body: CreateSession } }, async (request, reply) => {
    const user = requireUser(request);
    const body = request.body;
    const plio = await request.scope.query
      .selectFrom('plio as p')
      .leftJoin('video as v', (join) => join.onRef('v.id', '=', 'p.video_id').on('v.deleted_at', 'is', null))
      .select(['p.id', 'p.status', 'p.is_public', 'p.created_by_id', 'v.duration'])
      .where('p.id', '=', body.plio)
      .where('p.deleted_at', 'is', null)
      .executeTakeFirst();
    if (!plio || !mayPlayPlio(user, plio)) throw errors.invalidReference('plio', body.plio);
    if (plio.status !== 'published') throw errors.sessionForDraftPlio();
    await assertExperimentExists(request, body.experiment);

    const session = await request.scope.transaction(async (query, trx) => {
      // One learner opening the same plio twice at once must still get exactly one first session.
      await sql`select pg_advisory_xact_lock(hashtextextended(${`${request.scope.schema}:session:${plio.id}:${user.id}`}, 0))`.execute(trx);
      const last = await query
        .selectFrom('session')
        .selectAll()
        .where('plio_id', '=', plio.id)
        .where('user_id', '=', user.id)
        .where('deleted_at', 'is', null)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      const now = new Date();
      const created = await query
        .insertInto('session')
        .values({
          plio_id: plio.id,
          user_id: user.id,
          is_first: last === undefined,
          ...withRetentionFacts(body.retention ?? last?.retention ?? zeroRetention(plio.duration)),
          watch_time: body.watch_time ?? last?.watch_time ?? 0,
          has_video_played: body.has_video_played ?? last?.has_video_played ?? false,
          experiment_id: body.experiment !== undefined ? body.experiment : (last?.experiment_id ?? null),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // One answer per live item: the previous session's answer, or an empty one.
      await query
        .insertInto('session_answer')
        .columns(['session_id', 'item_id', 'answer', 'created_at', 'updated_at'])
        .expression((eb) =>
          eb
            .selectFrom('item as i')
            .leftJoin('session_answer as previous', (join) =>
              join
                .onRef('previous.item_id', '=', 'i.id')
                .on('previous.session_id', '=', last?.id ?? 0)
                .on('previous.deleted_at', 'is', null),
            )
            .select([
              sql<number>`cast(${created.id} as bigint)`.as('session_id'),
              'i.id as item_id',
              'previous.answer as answer',
              sql<Date>`cast(${now.toISOString()} as timestamptz)`.as('created_at'),
              sql<Date>`cast(${now.toISOString()} as timestamptz)`.as('updated_at'),
            ])
            .where('i.plio_id', '=', plio.id)
            .where('i.deleted_at', 'is', null),
        )
        .execute();
      return created;
    });
    // A learner's first session adds a viewer to the plio's count in list pages.
    if (session.is_first) await invalidatePlioLists(deps.cache, request.scope.schema);
    return reply.status(201).send((await sessionsJson(request, deps, [session]))[0]);
  });

  app.get('/api/v1/sessions/:id/', { schema: { tags, params: IdParams } }, async (request) =>
    (await sessionsJson(request, deps, [await findOwn(request, request.params.id)]))[0],
  );

  // Updates record progress; a session never moves to another plio and stays first or not as created.
  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: UpdateSession | undefined }>) => {
    const session = await findOwn(request, request.params.id);
    const body = request.body ?? {};
    await assertExperimentExists(request, body.experiment);
    const updated = await request.scope.query
      .updateTable('session')
      .set({
        ...(body.retention !== undefined && withRetentionFacts(body.retention)),
        ...(body.watch_time !== undefined && { watch_time: body.watch_time }),
        ...(body.has_video_played !== undefined && { has_video_played: body.has_video_played }),
        ...(body.experiment !== undefined && { experiment_id: body.experiment }),
        updated_at: new Date(),
      })
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return (await sessionsJson(request, deps, [updated]))[0];
  };
  app.put('/api/v1/sessions/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateSession) } }, update);
  app.patch('/api/v1/sessions/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateSession) } }, update);

  app.delete('/api/v1/sessions/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const session = await findOwn(request, request.params.id);
    await request.scope.transaction((query) => softDeleteSessions(query, [session.id]));
    await invalidatePlioLists(deps.cache, request.scope.schema);
    return reply.status(204).send();
  });
}
