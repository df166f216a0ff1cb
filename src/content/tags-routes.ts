/** `/api/v1/tags/`: labels with a slug made unique in the workspace. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { QueryCreator } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../db/schema.ts';
import { assetReach, findAssetForUser, listAssets } from './asset-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { IdParams } from './http.ts';
import { tagJson } from './representations.ts';
import { softDeleteRows } from './soft-delete.ts';

const tags = ['tags'];
const TagBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }), slug: Type.Optional(Type.String({ maxLength: 200 })) });

/** Django's slugify: ASCII letters, digits, `_` and `-`, lowercased, spaces to dashes. */
export function slugify(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '-')
    .slice(0, 200);
}

/** `slug`, or `slug-1`, `slug-2`… when taken by another live tag. */
async function uniqueSlug(query: QueryCreator<DB>, base: string, exceptId?: number): Promise<string> {
  const taken = new Set(
    (
      await query
        .selectFrom('tag')
        .select('slug')
        .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`)]))
        .where('deleted_at', 'is', null)
        .$if(exceptId !== undefined, (q) => q.where('id', '!=', exceptId as number))
        .execute()
    ).map((row) => row.slug),
  );
  if (!taken.has(base)) return base;
  for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export async function tagRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps.context;
  const find = async (request: FastifyRequest, rawId: string) => (await findAssetForUser(request, db, 'tag', rawId)).row;

  app.get('/api/v1/tags/', { schema: { tags } }, async (request) => (await listAssets(request, db, 'tag')).map(tagJson));

  app.post('/api/v1/tags/', { schema: { tags, body: TagBody } }, async (request, reply) => {
    const { user } = await assetReach(request, db);
    const now = new Date();
    const tag = await request.scope.transaction(async (query) =>
      query
        .insertInto('tag')
        .values({
          name: request.body.name,
          slug: await uniqueSlug(query, slugify(request.body.slug || request.body.name) || 'tag'),
          created_by_id: user.id,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return reply.status(201).send(tagJson(tag));
  });

  app.get('/api/v1/tags/:id/', { schema: { tags, params: IdParams } }, async (request) => tagJson(await find(request, request.params.id)));

  const update = async (request: FastifyRequest<{ Params: { id: string }; Body: { name?: string; slug?: string } | undefined }>) => {
    const tag = await find(request, request.params.id);
    const body = request.body ?? {};
    const slug = body.slug !== undefined ? await uniqueSlug(request.scope.query, slugify(body.slug) || tag.slug, tag.id) : tag.slug;
    const updated = await request.scope.query
      .updateTable('tag')
      .set({ ...(body.name !== undefined && { name: body.name }), slug, updated_at: new Date() })
      .where('id', '=', tag.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return tagJson(updated);
  };
  app.put('/api/v1/tags/:id/', { schema: { tags, params: IdParams, body: TagBody } }, update);
  app.patch('/api/v1/tags/:id/', { schema: { tags, params: IdParams, body: Type.Optional(Type.Partial(TagBody)) } }, update);

  app.delete('/api/v1/tags/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const tag = await find(request, request.params.id);
    await softDeleteRows(request.scope.query, 'tag', [tag.id]);
    return reply.status(204).send();
  });
}
