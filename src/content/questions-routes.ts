/** `/api/v1/questions/`: the question of an item, checked through its plio. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { requireUser } from '../accounts/current-user.ts';
import type { Row } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { assertAssetsReachable } from './asset-access.ts';
import { accessiblePlios, findQuestionForUser, itemForWrite } from './child-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { AnyJson, IdParams, parseId, RowId, toJsonColumn } from './http.ts';
import { assertMayCreateInWorkspace } from './plio-access.ts';
import { invalidatePlios, loadImagesJson } from './plio-loader.ts';
import { questionJson } from './representations.ts';
import { softDeleteQuestions } from './soft-delete.ts';

const tags = ['questions'];

/** An image id, or the image object the API handed out (the client sends questions back as it got them). */
const ImageReference = Type.Union([RowId, Type.Null(), Type.Object({ id: RowId })]);
type ImageReference = Static<typeof ImageReference>;
const imageId = (reference: ImageReference): number | null => (reference !== null && typeof reference === 'object' ? reference.id : reference);

/** A question body with image references reduced to ids. */
type NormalizedQuestion = Omit<UpdateQuestion, 'image' | 'option_images'> & {
  image?: number | null;
  option_images?: Record<string, number | null> | null;
};
function normalized(body: UpdateQuestion): NormalizedQuestion {
  const { image, option_images: optionImages, ...rest } = body;
  return {
    ...rest,
    ...(image !== undefined && { image: imageId(image) }),
    ...(optionImages !== undefined && {
      option_images: optionImages === null ? null : Object.fromEntries(Object.entries(optionImages).map(([index, reference]) => [index, imageId(reference)])),
    }),
  };
}

const QuestionFields = {
  item: RowId,
  text: Type.String({ maxLength: 100_000 }),
  type: Type.Union([Type.Literal('mcq'), Type.Literal('checkbox'), Type.Literal('subjective')]),
  options: AnyJson,
  option_images: Type.Union([Type.Record(Type.String({ maxLength: 10 }), ImageReference), Type.Null()]),
  correct_answer: AnyJson,
  survey: Type.Boolean(),
  image: ImageReference,
  has_char_limit: Type.Boolean(),
  max_char_limit: Type.Union([Type.Number({ minimum: 0, maximum: 1e9 }), Type.Null()]),
};
const UpdateQuestion = Type.Partial(Type.Object(QuestionFields));
type UpdateQuestion = Static<typeof UpdateQuestion>;
const CreateQuestion = Type.Intersect([UpdateQuestion, Type.Object({ item: RowId })]);

export async function questionRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps.context;

  const toJson = async (request: FastifyRequest, questions: Row<'question'>[]) => {
    const images = await loadImagesJson(request.scope.query, questions);
    return questions.map((question) => questionJson(question, images));
  };
  const reread = async (request: FastifyRequest, id: number) =>
    (await toJson(request, [await request.scope.query.selectFrom('question').selectAll().where('id', '=', id).executeTakeFirstOrThrow()]))[0];

  /** Images named by a question must be live images the user reaches (`asset-access.ts`). */
  const assertImagesReachable = async (request: FastifyRequest, body: NormalizedQuestion) => {
    const wanted = new Set<number>();
    if (typeof body.image === 'number') wanted.add(body.image);
    for (const id of Object.values(body.option_images ?? {})) if (typeof id === 'number') wanted.add(id);
    await assertAssetsReachable(request, db, 'image', [...wanted], (missing) => (body.image === missing ? 'image' : 'option_images'));
  };
  const columns = (body: NormalizedQuestion) => ({
    ...(body.text !== undefined && { text: body.text }),
    ...(body.type !== undefined && { type: body.type }),
    ...(body.options !== undefined && { options: toJsonColumn(body.options) }),
    ...(body.option_images !== undefined && { option_images: toJsonColumn(body.option_images) }),
    ...(body.correct_answer !== undefined && { correct_answer: toJsonColumn(body.correct_answer) }),
    ...(body.survey !== undefined && { survey: body.survey }),
    ...(body.image !== undefined && { image_id: body.image }),
    ...(body.has_char_limit !== undefined && { has_char_limit: body.has_char_limit }),
    ...(body.max_char_limit !== undefined && { max_char_limit: body.max_char_limit }),
  });

  app.get('/api/v1/questions/', { schema: { tags } }, async (request) => {
    const accessible = await accessiblePlios(request, db);
    const questions = await request.scope.query
      .selectFrom('question as q')
      .innerJoin('item as i', 'i.id', 'q.item_id')
      .innerJoin('plio as p', 'p.id', 'i.plio_id')
      .selectAll('q')
      .where('q.deleted_at', 'is', null)
      .where('i.deleted_at', 'is', null)
      .where(accessible)
      .orderBy('i.time')
      .orderBy('q.id')
      .execute();
    return toJson(request, questions);
  });

  app.post('/api/v1/questions/', { schema: { tags, body: CreateQuestion } }, async (request, reply) => {
    await assertMayCreateInWorkspace(request, db);
    const { item, plio } = await itemForWrite(request, db, request.body.item);
    const body = normalized(request.body);
    await assertImagesReachable(request, body);
    const now = new Date();
    const { id } = await request.scope.query
      .insertInto('question')
      .values({ ...columns(body), item_id: item.id, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
    return reply.status(201).send(await reread(request, id));
  });

  app.get('/api/v1/questions/:id/', { schema: { tags, params: IdParams } }, async (request) => {
    const { question } = await findQuestionForUser(request, db, parseId(request.params.id));
    return (await toJson(request, [question]))[0];
  });

  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: UpdateQuestion | undefined }>) => {
    const { question, plio } = await findQuestionForUser(request, db, parseId(request.params.id));
    const body = normalized(request.body ?? {});
    const target = body.item !== undefined && body.item !== question.item_id ? await itemForWrite(request, db, body.item) : undefined;
    await assertImagesReachable(request, body);
    await request.scope.query
      .updateTable('question')
      .set({ ...columns(body), item_id: target?.item.id ?? question.item_id, updated_at: new Date() })
      .where('id', '=', question.id)
      .execute();
    await invalidatePlios(deps.cache, request.scope.schema, target ? [plio.uuid, target.plio.uuid] : [plio.uuid]);
    return reread(request, question.id);
  };
  app.put('/api/v1/questions/:id/', { schema: { tags, params: IdParams, body: CreateQuestion } }, update);
  app.patch('/api/v1/questions/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateQuestion) } }, update);

  app.post(
    '/api/v1/questions/:id/duplicate/',
    { schema: { tags, params: IdParams, body: Type.Optional(Type.Object({ itemId: Type.Optional(AnyJson) })) } },
    async (request) => {
      const { question } = await findQuestionForUser(request, db, parseId(request.params.id));
      const user = requireUser(request);
      const itemId = request.body?.itemId;
      // the reference answers this one under a misspelt "details" key; ours is "detail" like every other refusal
      if (!itemId) throw errors.notFoundWith('Item id not passed in the payload');
      const exists = Number.isSafeInteger(itemId)
        ? await request.scope.query.selectFrom('item').select('id').where('id', '=', itemId as number).where('deleted_at', 'is', null).executeTakeFirst()
        : undefined;
      if (!exists) throw errors.notFoundWith('Specified item not found');
      const { item, plio } = await itemForWrite(request, db, exists.id);
      const now = new Date();
      const id = await request.scope.transaction(async (query) => {
        const image = question.image_id === null ? undefined : await query.selectFrom('image').selectAll().where('id', '=', question.image_id).executeTakeFirst();
        const copiedImage = image
          ? (
              await query
                .insertInto('image')
                .values({ url: image.url, alt_text: image.alt_text, created_by_id: user.id, created_at: now, updated_at: now })
                .returning('id')
                .executeTakeFirstOrThrow()
            ).id
          : null;
        const { id: created } = await query
          .insertInto('question')
          .values({
            item_id: item.id,
            type: question.type,
            text: question.text,
            options: toJsonColumn(question.options),
            option_images: toJsonColumn(question.option_images),
            correct_answer: toJsonColumn(question.correct_answer),
            survey: question.survey,
            has_char_limit: question.has_char_limit,
            max_char_limit: question.max_char_limit,
            image_id: copiedImage,
            created_at: now,
            updated_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return created;
      });
      await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
      return reread(request, id);
    },
  );

  app.delete('/api/v1/questions/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { question, plio } = await findQuestionForUser(request, db, parseId(request.params.id));
    await request.scope.transaction((query) => softDeleteQuestions(query, [question.id]));
    await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
    return reply.status(204).send();
  });

}
