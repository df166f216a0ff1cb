/** `/api/v1/videos/`: the videos plios play. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { assetReach, findAssetForUser, listAssets } from './asset-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { IdParams } from './http.ts';
import { invalidatePliosShowing } from './plio-loader.ts';
import { videoJson } from './representations.ts';
import { softDeleteRows } from './soft-delete.ts';

const tags = ['videos'];
const VideoFields = {
  url: Type.String({ minLength: 1, maxLength: 255 }),
  title: Type.Union([Type.String({ maxLength: 255 }), Type.Null()]),
  duration: Type.Union([Type.Number({ minimum: 0, maximum: 1e7 }), Type.Null()]),
};
const CreateVideo = Type.Object({ url: VideoFields.url, title: Type.Optional(VideoFields.title), duration: Type.Optional(VideoFields.duration) });
const UpdateVideo = Type.Partial(Type.Object(VideoFields));
type UpdateVideo = Static<typeof UpdateVideo>;

export async function videoRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps.context;
  const find = async (request: FastifyRequest, rawId: string) => (await findAssetForUser(request, db, 'video', rawId)).row;

  app.get('/api/v1/videos/', { schema: { tags } }, async (request) => (await listAssets(request, db, 'video')).map(videoJson));

  app.post('/api/v1/videos/', { schema: { tags, body: CreateVideo } }, async (request, reply) => {
    const { user } = await assetReach(request, db);
    const now = new Date();
    const video = await request.scope.query
      .insertInto('video')
      .values({
        url: request.body.url,
        title: request.body.title ?? null,
        duration: request.body.duration ?? null,
        created_by_id: user.id,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send(videoJson(video));
  });

  app.get('/api/v1/videos/:id/', { schema: { tags, params: IdParams } }, async (request) => videoJson(await find(request, request.params.id)));

  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: UpdateVideo | undefined }>) => {
    const video = await find(request, request.params.id);
    const body = request.body ?? {};
    const updated = await request.scope.query
      .updateTable('video')
      .set({
        ...(body.url !== undefined && { url: body.url }),
        ...(body.title !== undefined && { title: body.title }),
        ...(body.duration !== undefined && { duration: body.duration }),
        updated_at: new Date(),
      })
      .where('id', '=', video.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await invalidatePliosShowing(request.scope.query, deps.cache, request.scope.schema, { video: video.id });
    return videoJson(updated);
  };
  app.put('/api/v1/videos/:id/', { schema: { tags, params: IdParams, body: CreateVideo } }, update);
  app.patch('/api/v1/videos/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateVideo) } }, update);

  app.delete('/api/v1/videos/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const video = await find(request, request.params.id);
    await softDeleteRows(request.scope.query, 'video', [video.id]);
    await invalidatePliosShowing(request.scope.query, deps.cache, request.scope.schema, { video: video.id });
    return reply.status(204).send();
  });
}
