/** `/api/v1/session-answers/`: a learner's answers, reachable only through their own sessions. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { requireUser } from '../accounts/current-user.ts';
import type { ContentDeps } from '../content/content-deps.ts';
import { AnyJson, IdParams, parseId, RowId, toJsonColumn } from '../content/http.ts';
import { softDeleteRows } from '../content/soft-delete.ts';
import { errors } from '../errors.ts';
import { referencedOwnSession } from './own-sessions.ts';
import { sessionAnswerJson } from './session-json.ts';

const tags = ['session-answers'];
const CreateAnswer = Type.Object({ session: RowId, item: RowId, answer: Type.Optional(AnyJson) });
const UpdateAnswer = Type.Object({ session: Type.Optional(RowId), item: Type.Optional(RowId), answer: Type.Optional(AnyJson) });

export async function answerRoutes(root: FastifyInstance, _deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  const ownAnswers = (request: FastifyRequest) => {
    const user = requireUser(request);
    return request.scope.query
      .selectFrom('session_answer as sa')
      .innerJoin('session as s', 's.id', 'sa.session_id')
      .selectAll('sa')
      .where('s.user_id', '=', user.id)
      .where('s.deleted_at', 'is', null)
      .where('sa.deleted_at', 'is', null);
  };
  const findOwn = async (request: FastifyRequest, rawId: string) => {
    const answer = await ownAnswers(request).where('sa.id', '=', parseId(rawId)).executeTakeFirst();
    if (!answer) throw errors.notFound();
    return answer;
  };

  app.get('/api/v1/session-answers/', { schema: { tags } }, async (request) =>
    (await ownAnswers(request).orderBy('sa.id').execute()).map(sessionAnswerJson),
  );

  app.post('/api/v1/session-answers/', { schema: { tags, body: CreateAnswer } }, async (request, reply) => {
    const session = await referencedOwnSession(request, request.body.session);
    const item = await request.scope.query
      .selectFrom('item')
      .select('id')
      .where('id', '=', request.body.item)
      .where('plio_id', '=', session.plio_id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!item) throw errors.invalidReference('item', request.body.item);
    const now = new Date();
    const answer = await request.scope.query
      .insertInto('session_answer')
      .values({
        session_id: session.id,
        item_id: item.id,
        answer: request.body.answer === undefined ? null : toJsonColumn(request.body.answer),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send(sessionAnswerJson(answer));
  });

  app.get('/api/v1/session-answers/:id/', { schema: { tags, params: IdParams } }, async (request) => sessionAnswerJson(await findOwn(request, request.params.id)));

  // An answer stays with its session and item; only the answer itself changes.
  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: { answer?: unknown } | undefined }>) => {
    const answer = await findOwn(request, request.params.id);
    const updated = await request.scope.query
      .updateTable('session_answer')
      .set({ ...(request.body?.answer !== undefined && { answer: toJsonColumn(request.body.answer) }), updated_at: new Date() })
      .where('id', '=', answer.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return sessionAnswerJson(updated);
  };
  app.put('/api/v1/session-answers/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateAnswer) } }, update);
  app.patch('/api/v1/session-answers/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateAnswer) } }, update);

  app.delete('/api/v1/session-answers/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const answer = await findOwn(request, request.params.id);
    await softDeleteRows(request.scope.query, 'session_answer', [answer.id]);
    return reply.status(204).send();
  });
}
