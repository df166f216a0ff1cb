/** `/api/v1/events/`: what happened in the player, reachable only through the learner's own sessions. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { requireUser } from '../accounts/current-user.ts';
import type { ContentDeps } from '../content/content-deps.ts';
import { AnyJson, IdParams, parseId, RowId, toJsonColumn } from '../content/http.ts';
import { softDeleteRows } from '../content/soft-delete.ts';
import { errors } from '../errors.ts';
import { referencedOwnSession } from './own-sessions.ts';
import { eventJson } from './session-json.ts';

export const EVENT_TYPES = [
  'ready',
  'played',
  'paused',
  'enter_fullscreen',
  'exit_fullscreen',
  'option_selected',
  'item_opened',
  'question_skipped',
  'question_answered',
  'question_revised',
  'question_proceed',
  'video_seeking',
  'video_seeked',
  'watching',
] as const;

const tags = ['events'];
const EventFields = {
  type: Type.Union(EVENT_TYPES.map((type) => Type.Literal(type))),
  player_time: Type.Number({ minimum: -1e9, maximum: 1e9 }),
  details: AnyJson,
  session: RowId,
};
const CreateEvent = Type.Object({ type: EventFields.type, player_time: EventFields.player_time, session: EventFields.session, details: Type.Optional(AnyJson) });
const UpdateEvent = Type.Partial(Type.Object(EventFields));
type UpdateEvent = Static<typeof UpdateEvent>;

export async function eventRoutes(root: FastifyInstance, _deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const ownEvents = (request: FastifyRequest) => {
    const user = requireUser(request);
    return request.scope.query
      .selectFrom('event as e')
      .innerJoin('session as s', 's.id', 'e.session_id')
      .selectAll('e')
      .where('s.user_id', '=', user.id)
      .where('s.deleted_at', 'is', null)
      .where('e.deleted_at', 'is', null);
  };
  const findOwn = async (request: FastifyRequest, rawId: string) => {
    const event = await ownEvents(request).where('e.id', '=', parseId(rawId)).executeTakeFirst();
    if (!event) throw errors.notFound();
    return event;
  };

  app.get('/api/v1/events/', { schema: { tags } }, async (request) => (await ownEvents(request).orderBy('e.updated_at', 'desc').orderBy('e.id', 'desc').execute()).map(eventJson));

  app.post('/api/v1/events/', { schema: { tags, body: CreateEvent } }, async (request, reply) => {
    await referencedOwnSession(request, request.body.session);
    const now = new Date();
    const event = await request.scope.query
      .insertInto('event')
      .values({
        session_id: request.body.session,
        type: request.body.type,
        player_time: request.body.player_time,
        details: request.body.details === undefined ? null : toJsonColumn(request.body.details),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send(eventJson(event));
  });

  app.get('/api/v1/events/:id/', { schema: { tags, params: IdParams } }, async (request) => eventJson(await findOwn(request, request.params.id)));

  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: UpdateEvent | undefined }>) => {
    const event = await findOwn(request, request.params.id);
    const body = request.body ?? {};
    if (body.session !== undefined) await referencedOwnSession(request, body.session);
    const updated = await request.scope.query
      .updateTable('event')
      .set({
        ...(body.type !== undefined && { type: body.type }),
        ...(body.player_time !== undefined && { player_time: body.player_time }),
        ...(body.details !== undefined && { details: toJsonColumn(body.details) }),
        ...(body.session !== undefined && { session_id: body.session }),
        updated_at: new Date(),
      })
      .where('id', '=', event.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return eventJson(updated);
  };
  app.put('/api/v1/events/:id/', { schema: { tags, params: IdParams, body: CreateEvent } }, update);
  app.patch('/api/v1/events/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateEvent) } }, update);

  app.delete('/api/v1/events/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const event = await findOwn(request, request.params.id);
    await softDeleteRows(request.scope.query, 'event', [event.id]);
    return reply.status(204).send();
  });
}
