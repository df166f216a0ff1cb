/** `/api/v1/images/`: images uploaded for questions (multipart, 10 MB at most). */
import { randomInt } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errors, PlioError } from '../errors.ts';
import { assetReach, findAssetForUser, listAssets } from './asset-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { IdParams } from './http.ts';
import { createImageStorage, sniffImage } from './image-storage.ts';
import { invalidatePliosShowing } from './plio-loader.ts';
import { imageJson } from './representations.ts';
import { softDeleteRows } from './soft-delete.ts';

export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
const tags = ['images'];

function randomName(extension: string): string {
  let name = '';
  for (let i = 0; i < 10; i++) name += String.fromCharCode(97 + randomInt(26));
  return name + extension;
}

/** The uploaded file and the `alt_text` field of a multipart request. */
async function readUpload(request: FastifyRequest): Promise<{ data: Buffer | undefined; filename: string; altText: string | undefined }> {
  if (!request.isMultipart()) throw errors.unsupportedMediaType(String(request.headers['content-type'] ?? ''));
  let data: Buffer | undefined;
  let filename = '';
  let altText: string | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        const buffer = await part.toBuffer();
        if (part.fieldname === 'url') {
          data = buffer;
          filename = part.filename;
        }
      } else if (part.fieldname === 'alt_text' && typeof part.value === 'string') {
        altText = part.value;
      }
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw errors.imageTooLarge(IMAGE_MAX_BYTES);
    if (error instanceof PlioError) throw error;
    // Anything else the multipart parser threw (a missing boundary, a cut
    // body, a part without headers) is the request's fault.
    throw errors.malformedMultipart((error as Error).message);
  }
  return { data, filename, altText };
}

export async function imageRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const storage = createImageStorage(deps.context.config);
  await app.register(multipart, { limits: { fileSize: IMAGE_MAX_BYTES, files: 1, fields: 10, fieldSize: 1024 * 1024 } });

  const { db } = deps.context;
  const find = async (request: FastifyRequest, rawId: string) => (await findAssetForUser(request, db, 'image', rawId)).row;

  app.get('/api/v1/images/', { schema: { tags } }, async (request) => (await listAssets(request, db, 'image')).map(imageJson));

  app.post('/api/v1/images/', { schema: { tags, consumes: ['multipart/form-data'] } }, async (request, reply) => {
    const { user } = await assetReach(request, db);
    const { data, filename, altText } = await readUpload(request);
    if (!data || data.length === 0) throw errors.imageRequired();
    const kind = sniffImage(data);
    if (!kind) throw errors.invalidImage();
    if (altText !== undefined && (altText.length > 255 || altText.includes('\u0000'))) {
      throw errors.validation({ alt_text: ['Ensure this field has no more than 255 characters.'] });
    }
    const url = await storage.save({
      schema: request.scope.schema,
      name: randomName(kind.extensions.find((extension) => filename.toLowerCase().endsWith(extension)) ?? kind.extensions[0]),
      data,
      contentType: kind.contentType,
    });
    const now = new Date();
    const image = await request.scope.query
      .insertInto('image')
      .values({ url, ...(altText !== undefined && { alt_text: altText }), created_by_id: user.id, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send(imageJson(image));
  });

  app.get('/api/v1/images/:id/', { schema: { tags, params: IdParams } }, async (request) => imageJson(await find(request, request.params.id)));

  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: { alt_text?: string } | undefined }>) => {
    const image = await find(request, request.params.id);
    const updated = await request.scope.query
      .updateTable('image')
      .set({ ...(request.body?.alt_text !== undefined && { alt_text: request.body.alt_text }), updated_at: new Date() })
      .where('id', '=', image.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await invalidatePliosShowing(request.scope.query, deps.cache, request.scope.schema, { image: image.id });
    return imageJson(updated);
  };
  const UpdateImage = Type.Optional(Type.Object({ alt_text: Type.Optional(Type.String({ maxLength: 255 })) }));
  app.put('/api/v1/images/:id/', { schema: { tags, params: IdParams, body: UpdateImage } }, update);
  app.patch('/api/v1/images/:id/', { schema: { tags, params: IdParams, body: UpdateImage } }, update);

  // A copy of the row; the file is shared (images are never hard-deleted).
  app.post('/api/v1/images/:id/duplicate/', { schema: { tags, params: IdParams } }, async (request) => {
    const { row: image, reach } = await findAssetForUser(request, db, 'image', request.params.id);
    const now = new Date();
    const copy = await request.scope.query
      .insertInto('image')
      .values({ url: image.url, alt_text: image.alt_text, created_by_id: reach.user.id, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return imageJson(copy);
  });

  app.delete('/api/v1/images/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const image = await find(request, request.params.id);
    await softDeleteRows(request.scope.query, 'image', [image.id]);
    await invalidatePliosShowing(request.scope.query, deps.cache, request.scope.schema, { image: image.id });
    return reply.status(204).send();
  });

  app.get('/media/*', { schema: { hide: true }, config: { anonymous: true } }, async (request, reply) => {
    const key = (request.params as { '*': string })['*'];
    const file = await storage.read(key);
    if (!file) throw errors.notFound();
    return reply.type(file.contentType).header('cache-control', 'public, max-age=86400').send(file.data);
  });
}
