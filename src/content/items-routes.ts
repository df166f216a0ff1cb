/** `/api/v1/items/`: a plio's timed items, checked through their plio. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../errors.ts';
import { accessiblePlios, findItemForUser, plioForWrite } from './child-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { AnyJson, IdParams, parseId, RowId, toJsonColumn } from './http.ts';
import { assertMayCreateInWorkspace } from './plio-access.ts';
import { invalidatePlios, itemsJson } from './plio-loader.ts';
import { softDeleteItems } from './soft-delete.ts';

const tags = ['items'];

const ItemFields = {
  plio: RowId,
  type: Type.Literal('question'),
  time: Type.Number({ minimum: 0, maximum: 1e9 }),
  meta: AnyJson,
};
const CreateItem = Type.Object({ plio: ItemFields.plio, time: ItemFields.time, type: Type.Optional(ItemFields.type), meta: Type.Optional(ItemFields.meta) });
const UpdateItem = Type.Partial(Type.Object(ItemFields));

export async function itemRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps.context;

  const itemJson = async (query: Parameters<typeof itemsJson>[0], id: number) => {
    const item = await query.selectFrom('item').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const [json] = await itemsJson(query, [item]);
    return json;
  };

  app.get(
    '/api/v1/items/',
    { schema: { tags, querystring: Type.Object({ plio: Type.Optional(Type.String({ maxLength: 50 })) }) } },
    async (request) => {
      const accessible = await accessiblePlios(request, db);
      let query = request.scope.query
        .selectFrom('item as i')
        .innerJoin('plio as p', 'p.id', 'i.plio_id')
        .selectAll('i')
        .where('i.deleted_at', 'is', null)
        .where(accessible);
      if (request.query.plio !== undefined) query = query.where('p.uuid', '=', request.query.plio);
      const items = await query.orderBy('i.time').orderBy('i.id').execute();
      return itemsJson(request.scope.query, items);
    },
  );

  app.post('/api/v1/items/', { schema: { tags, body: CreateItem } }, async (request, reply) => {
    await assertMayCreateInWorkspace(request, db);
    const plio = await plioForWrite(request, db, request.body.plio);
    const now = new Date();
    const { id } = await request.scope.query
      .insertInto('item')
      .values({
        plio_id: plio.id,
        time: request.body.time,
        ...(request.body.meta !== undefined && { meta: toJsonColumn(request.body.meta) }),
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
    return reply.status(201).send(await itemJson(request.scope.query, id));
  });

  app.get('/api/v1/items/:id/', { schema: { tags, params: IdParams } }, async (request) => {
    const { item } = await findItemForUser(request, db, parseId(request.params.id));
    return itemJson(request.scope.query, item.id);
  });

  const update = async (request: { params: { id: string }; body: Record<string, unknown> | undefined } & Parameters<typeof findItemForUser>[0]) => {
    const { item, plio } = await findItemForUser(request, db, parseId(request.params.id));
    const body = (request.body ?? {}) as { plio?: number; time?: number; meta?: unknown };
    const target = body.plio !== undefined && body.plio !== plio.id ? await plioForWrite(request, db, body.plio) : plio;
    await request.scope.query
      .updateTable('item')
      .set({
        plio_id: target.id,
        ...(body.time !== undefined && { time: body.time }),
        ...(body.meta !== undefined && { meta: toJsonColumn(body.meta) }),
        updated_at: new Date(),
      })
      .where('id', '=', item.id)
      .execute();
    await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid, target.uuid]);
    return itemJson(request.scope.query, item.id);
  };
  app.put('/api/v1/items/:id/', { schema: { tags, params: IdParams, body: CreateItem } }, update);
  app.patch('/api/v1/items/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateItem) } }, update);

  app.post(
    '/api/v1/items/:id/duplicate/',
    { schema: { tags, params: IdParams, body: Type.Optional(Type.Object({ plioId: Type.Optional(AnyJson) })) } },
    async (request) => {
      const { item } = await findItemForUser(request, db, parseId(request.params.id));
      const plioId = request.body?.plioId;
      if (!plioId) throw errors.notFoundWith('Plio id not passed in the payload.');
      const target = Number.isSafeInteger(plioId)
        ? await request.scope.query.selectFrom('plio').selectAll().where('id', '=', plioId as number).where('deleted_at', 'is', null).executeTakeFirst()
        : undefined;
      if (!target) throw errors.notFoundWith('Specified plio not found');
      await plioForWrite(request, db, target.id);
      const now = new Date();
      const { id } = await request.scope.query
        .insertInto('item')
        .values({ plio_id: target.id, type: item.type, time: item.time, meta: toJsonColumn(item.meta), created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await invalidatePlios(deps.cache, request.scope.schema, [target.uuid]);
      return itemJson(request.scope.query, id);
    },
  );

  app.delete('/api/v1/items/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { item, plio } = await findItemForUser(request, db, parseId(request.params.id));
    await request.scope.transaction((query) => softDeleteItems(query, [item.id]));
    await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
    return reply.status(204).send();
  });

  app.delete(
    '/api/v1/items/bulk_delete/',
    { schema: { tags, body: Type.Optional(Type.Object({ id: Type.Optional(AnyJson) })) } },
    async (request, reply) => {
      const ids = request.body?.id;
      if (ids === undefined) throw errors.itemIdsNotProvided();
      if (!Array.isArray(ids)) throw errors.itemIdsNotAList();
      if (!ids.every((id) => Number.isSafeInteger(id) && id > 0)) throw errors.itemIdsNotFound();
      const unique = [...new Set(ids as number[])];
      const accessible = await accessiblePlios(request, db);
      const found = unique.length
        ? await request.scope.query
            .selectFrom('item as i')
            .innerJoin('plio as p', 'p.id', 'i.plio_id')
            .select(['i.id', 'p.uuid'])
            .where('i.id', 'in', unique)
            .where('i.deleted_at', 'is', null)
            .where('p.deleted_at', 'is', null)
            .execute()
        : [];
      if (found.length !== unique.length) throw errors.itemIdsNotFound();
      const reachable = unique.length
        ? await request.scope.query
            .selectFrom('item as i')
            .innerJoin('plio as p', 'p.id', 'i.plio_id')
            .select('i.id')
            .where('i.id', 'in', unique)
            .where(accessible)
            .execute()
        : [];
      if (reachable.length !== unique.length) throw errors.permissionDenied();
      await request.scope.transaction((query) => softDeleteItems(query, unique));
      await invalidatePlios(
        deps.cache,
        request.scope.schema,
        found.map((row) => row.uuid),
      );
      // The reference answers a bare JSON string.
      return reply.type('application/json').send(JSON.stringify('deletion successful'));
    },
  );
}
