/** `/api/v1/plios/`: create, list, read, edit, delete, settings, play, duplicate, copy. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { requireUser } from '../accounts/current-user.ts';
import { roleInOrganization } from '../accounts/memberships.ts';
import { errors } from '../errors.ts';
import { TenantScope } from '../tenancy/tenant-scope.ts';
import { assertAssetsReachable } from './asset-access.ts';
import type { ContentDeps } from './content-deps.ts';
import { AnyJson, RowId, toJsonColumn, UuidParams } from './http.ts';
import { assertMayCreateInWorkspace, assertPlioAccess, findPlioForUser, mayPlayPlio } from './plio-access.ts';
import { newPlioUuid, readPlioGraph, writePlioGraph } from './plio-graph.ts';
import { plioJson } from './plio-json.ts';
import { listPlios } from './plio-list.ts';
import { invalidatePlios, loadPlio, type LoadedPlio } from './plio-loader.ts';
import { softDeletePlios } from './soft-delete.ts';

const tags = ['plios'];

const PlioBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 255 })),
  failsafe_url: Type.Optional(Type.String({ maxLength: 255 })),
  status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('published')])),
  is_public: Type.Optional(Type.Boolean()),
  config: Type.Optional(AnyJson),
  video: Type.Optional(Type.Union([RowId, Type.Null()])),
});
type PlioBody = Static<typeof PlioBody>;

const ListQuery = Type.Object({
  page: Type.Optional(Type.String({ maxLength: 20 })),
  search: Type.Optional(Type.String({ maxLength: 500 })),
  ordering: Type.Optional(Type.String({ maxLength: 200 })),
});

export async function plioRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps.context;

  const load = async (request: FastifyRequest, uuid: string): Promise<LoadedPlio> => {
    const loaded = await loadPlio(request.scope.query, deps.cache, request.scope.schema, uuid);
    if (!loaded) throw errors.notFound();
    return loaded;
  };
  const reload = async (request: FastifyRequest, uuid: string) => {
    await invalidatePlios(deps.cache, request.scope.schema, [uuid]);
    return plioJson(db, await load(request, uuid));
  };
  /** A plio may show only a video the user reaches (`asset-access.ts`). */
  const assertVideoReachable = (request: FastifyRequest, video: number | null | undefined) =>
    assertAssetsReachable(request, db, 'video', typeof video === 'number' ? [video] : [], () => 'video');
  const columns = (body: PlioBody) => ({
    ...(body.name !== undefined && { name: body.name }),
    ...(body.failsafe_url !== undefined && { failsafe_url: body.failsafe_url }),
    ...(body.status !== undefined && { status: body.status }),
    ...(body.is_public !== undefined && { is_public: body.is_public }),
    ...(body.config !== undefined && { config: toJsonColumn(body.config) }),
    ...(body.video !== undefined && { video_id: body.video }),
  });

  app.get('/api/v1/plios/', { schema: { tags, querystring: ListQuery } }, async (request) => {
    const user = requireUser(request);
    return listPlios(request, user, deps);
  });

  app.post('/api/v1/plios/', { schema: { tags, body: Type.Optional(PlioBody) } }, async (request, reply) => {
    const user = await assertMayCreateInWorkspace(request, db);
    const body = request.body ?? {};
    await assertVideoReachable(request, body.video);
    const now = new Date();
    const created = await request.scope.transaction(async (query) =>
      query
        .insertInto('plio')
        .values({ ...columns(body), uuid: await newPlioUuid(query), created_by_id: user.id, created_at: now, updated_at: now })
        .returning('uuid')
        .executeTakeFirstOrThrow(),
    );
    return reply.status(201).send(await reload(request, created.uuid));
  });

  app.get('/api/v1/plios/:uuid/', { schema: { tags, params: UuidParams } }, async (request) => {
    requireUser(request);
    const loaded = await load(request, request.params.uuid);
    await assertPlioAccess(request, db, loaded.plio);
    return plioJson(db, loaded);
  });

  const update = async (request: FastifyRequest<{ Params: { uuid: string }; Body: PlioBody | undefined }>) => {
    const plio = await findPlioForUser(request, db, request.params.uuid);
    const body = request.body ?? {};
    await assertVideoReachable(request, body.video);
    await request.scope.query
      .updateTable('plio')
      .set({ ...columns(body), updated_at: new Date() })
      .where('id', '=', plio.id)
      .execute();
    return reload(request, plio.uuid);
  };
  app.put('/api/v1/plios/:uuid/', { schema: { tags, params: UuidParams, body: Type.Optional(PlioBody) } }, update);
  app.patch('/api/v1/plios/:uuid/', { schema: { tags, params: UuidParams, body: Type.Optional(PlioBody) } }, update);

  app.delete('/api/v1/plios/:uuid/', { schema: { tags, params: UuidParams } }, async (request, reply) => {
    const plio = await findPlioForUser(request, db, request.params.uuid);
    await request.scope.transaction((query) => softDeletePlios(query, [plio.id]));
    await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
    return reply.status(204).send();
  });

  app.patch(
    '/api/v1/plios/:uuid/setting/',
    { schema: { tags, params: UuidParams, body: Type.Optional(Type.Record(Type.String(), AnyJson)) } },
    async (request) => {
      const plio = await findPlioForUser(request, db, request.params.uuid);
      const config = plio.config !== null && typeof plio.config === 'object' && !Array.isArray(plio.config) ? { ...(plio.config as object) } : {};
      const updated = { ...config, settings: request.body ?? {} };
      await request.scope.query
        .updateTable('plio')
        .set({ config: JSON.stringify(updated), updated_at: new Date() })
        .where('id', '=', plio.id)
        .execute();
      await invalidatePlios(deps.cache, request.scope.schema, [plio.uuid]);
      return updated;
    },
  );

  app.get('/api/v1/plios/:uuid/play/', { schema: { tags, params: UuidParams }, config: { anonymous: true } }, async (request) => {
    const loaded = await loadPlio(request.scope.query, deps.cache, request.scope.schema, request.params.uuid);
    if (!loaded || !mayPlayPlio(request.user, loaded.plio)) throw errors.plioNotFound();
    return plioJson(db, loaded);
  });

  app.post('/api/v1/plios/:uuid/duplicate/', { schema: { tags, params: UuidParams } }, async (request) => {
    const user = requireUser(request);
    const plio = await findPlioForUser(request, db, request.params.uuid);
    const graph = await readPlioGraph(request.scope.query, plio);
    const copy = await request.scope.transaction((query) => writePlioGraph(query, graph, user.id));
    return reload(request, copy.uuid);
  });

  app.post(
    '/api/v1/plios/:uuid/copy/',
    { schema: { tags, params: UuidParams, body: Type.Optional(Type.Object({ workspace: Type.Optional(Type.String({ maxLength: 255 })) })) } },
    async (request) => {
      const user = requireUser(request);
      const workspace = request.body?.workspace;
      if (workspace === undefined) throw errors.workspaceNotProvided();
      const plio = await findPlioForUser(request, db, request.params.uuid);
      const target = await deps.context.directory.byShortcode(workspace);
      if (!target) throw errors.workspaceNotFound();
      const targetScope = new TenantScope(deps.context.database, target);
      if (!targetScope.isPersonalWorkspace && !user.isSuperuser) {
        const role = target.id === null ? undefined : await roleInOrganization(db, user.id, target.id);
        if (role === undefined) throw errors.notWorkspaceMember();
      }
      const graph = await readPlioGraph(request.scope.query, plio);
      const copy = await targetScope.transaction((query) => writePlioGraph(query, graph, user.id));
      await invalidatePlios(deps.cache, targetScope.schema, [copy.uuid]);
      const loaded = await loadPlio(targetScope.query, deps.cache, targetScope.schema, copy.uuid);
      if (!loaded) throw errors.notFound();
      return plioJson(db, loaded);
    },
  );
}
