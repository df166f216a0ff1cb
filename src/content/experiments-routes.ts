/** `/api/v1/experiments/` and `/api/v1/experiment-plios/`: split tests between plios. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { requireUser } from '../accounts/current-user.ts';
import type { Row } from '../db/schema.ts';
import { errors } from '../errors.ts';
import type { ContentDeps } from './content-deps.ts';
import { IdParams, parseId, RowId } from './http.ts';
import { assertMayCreateInWorkspace, assertPlioAccess } from './plio-access.ts';
import { plioJsonMany } from './plio-json.ts';
import { loadPliosById } from './plio-loader.ts';
import { softDeleteRows } from './soft-delete.ts';
import { experimentsJson } from './experiment-json.ts';

const ExperimentFields = {
  name: Type.String({ minLength: 1, maxLength: 255 }),
  description: Type.String({ maxLength: 100_000 }),
  is_test: Type.Boolean(),
  type: Type.Literal('split_url'),
};
const CreateExperiment = Type.Object({
  name: ExperimentFields.name,
  description: ExperimentFields.description,
  is_test: Type.Optional(ExperimentFields.is_test),
  type: Type.Optional(ExperimentFields.type),
});
const UpdateExperiment = Type.Partial(Type.Object(ExperimentFields));
type UpdateExperiment = Static<typeof UpdateExperiment>;

const ExperimentPlioFields = { experiment: RowId, plio: RowId, split_percentage: Type.Number({ minimum: 0, maximum: 100 }) };
const CreateExperimentPlio = Type.Object(ExperimentPlioFields);
const UpdateExperimentPlio = Type.Partial(CreateExperimentPlio);
type UpdateExperimentPlio = Static<typeof UpdateExperimentPlio>;

export async function experimentRoutes(root: FastifyInstance, deps: ContentDeps): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps.context;

  /** Experiments are their creator's (and superusers'). */
  const ownExperiments = (request: FastifyRequest) => {
    const user = requireUser(request);
    return request.scope.query
      .selectFrom('experiment')
      .selectAll()
      .where('deleted_at', 'is', null)
      .$if(!user.isSuperuser, (q) => q.where('created_by_id', '=', user.id));
  };
  const findExperiment = async (request: FastifyRequest, id: number) => {
    const experiment = await ownExperiments(request).where('id', '=', id).executeTakeFirst();
    if (!experiment) throw errors.notFound();
    return experiment;
  };

  app.get('/api/v1/experiments/', { schema: { tags: ['experiments'] } }, async (request) =>
    experimentsJson(db, await ownExperiments(request).orderBy('id').execute()),
  );
  app.post('/api/v1/experiments/', { schema: { tags: ['experiments'], body: CreateExperiment } }, async (request, reply) => {
    const user = await assertMayCreateInWorkspace(request, db);
    const now = new Date();
    const experiment = await request.scope.query
      .insertInto('experiment')
      .values({ ...request.body, created_by_id: user.id, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send((await experimentsJson(db, [experiment]))[0]);
  });
  app.get('/api/v1/experiments/:id/', { schema: { tags: ['experiments'], params: IdParams } }, async (request) =>
    (await experimentsJson(db, [await findExperiment(request, parseId(request.params.id))]))[0],
  );
  const updateExperiment = async (request: FastifyRequest<{ Params: { id: string }; Body: UpdateExperiment | undefined }>) => {
    const experiment = await findExperiment(request, parseId(request.params.id));
    const updated = await request.scope.query
      .updateTable('experiment')
      .set({ ...(request.body ?? {}), updated_at: new Date() })
      .where('id', '=', experiment.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return (await experimentsJson(db, [updated]))[0];
  };
  app.put('/api/v1/experiments/:id/', { schema: { tags: ['experiments'], params: IdParams, body: CreateExperiment } }, updateExperiment);
  app.patch('/api/v1/experiments/:id/', { schema: { tags: ['experiments'], params: IdParams, body: Type.Optional(UpdateExperiment) } }, updateExperiment);
  app.delete('/api/v1/experiments/:id/', { schema: { tags: ['experiments'], params: IdParams } }, async (request, reply) => {
    const experiment = await findExperiment(request, parseId(request.params.id));
    await softDeleteRows(request.scope.query, 'experiment', [experiment.id]);
    return reply.status(204).send();
  });

  // ---- experiment-plios: reached through their experiment ----------------

  const linksJson = async (request: FastifyRequest, links: Row<'experiment_plio'>[]) => {
    const experiments = await request.scope.query
      .selectFrom('experiment')
      .selectAll()
      .where('id', 'in', links.length ? links.map((link) => link.experiment_id) : [0])
      .execute();
    const experimentJsonById = new Map((await experimentsJson(db, experiments)).map((json) => [json.id as number, json]));
    const plios = await loadPliosById(
      request.scope.query,
      deps.cache,
      request.scope.schema,
      links.map((link) => link.plio_id),
    );
    const plioJsonById = new Map((await plioJsonMany(db, [...plios.values()])).map((json) => [json.id as number, json]));
    return links.map((link) => ({
      id: link.id,
      experiment: experimentJsonById.get(link.experiment_id) ?? link.experiment_id,
      plio: plioJsonById.get(link.plio_id) ?? link.plio_id,
      split_percentage: link.split_percentage,
    }));
  };
  const ownLinks = (request: FastifyRequest) => {
    const user = requireUser(request);
    return request.scope.query
      .selectFrom('experiment_plio as ep')
      .innerJoin('experiment as e', 'e.id', 'ep.experiment_id')
      .selectAll('ep')
      .where('ep.deleted_at', 'is', null)
      .where('e.deleted_at', 'is', null)
      .$if(!user.isSuperuser, (q) => q.where('e.created_by_id', '=', user.id));
  };
  const findLink = async (request: FastifyRequest, id: number) => {
    const link = await ownLinks(request).where('ep.id', '=', id).executeTakeFirst();
    if (!link) throw errors.notFound();
    return link;
  };
  /** The experiment must be the user's, the plio one they may edit. */
  const checkTargets = async (request: FastifyRequest, body: UpdateExperimentPlio) => {
    if (body.experiment !== undefined) {
      const experiment = await ownExperiments(request).where('id', '=', body.experiment).executeTakeFirst();
      if (!experiment) throw errors.invalidReference('experiment', body.experiment);
    }
    if (body.plio !== undefined) {
      const plio = await request.scope.query.selectFrom('plio').selectAll().where('id', '=', body.plio).where('deleted_at', 'is', null).executeTakeFirst();
      if (!plio) throw errors.invalidReference('plio', body.plio);
      await assertPlioAccess(request, db, plio);
    }
  };
  const linkColumns = (body: UpdateExperimentPlio) => ({
    ...(body.experiment !== undefined && { experiment_id: body.experiment }),
    ...(body.plio !== undefined && { plio_id: body.plio }),
    ...(body.split_percentage !== undefined && { split_percentage: body.split_percentage }),
  });

  const tags = ['experiment-plios'];
  app.get('/api/v1/experiment-plios/', { schema: { tags } }, async (request) => linksJson(request, await ownLinks(request).orderBy('ep.id').execute()));
  app.post('/api/v1/experiment-plios/', { schema: { tags, body: CreateExperimentPlio } }, async (request, reply) => {
    await assertMayCreateInWorkspace(request, db);
    await checkTargets(request, request.body);
    const link = await request.scope.query
      .insertInto('experiment_plio')
      .values({ experiment_id: request.body.experiment, plio_id: request.body.plio, split_percentage: request.body.split_percentage })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.status(201).send((await linksJson(request, [link]))[0]);
  });
  app.get('/api/v1/experiment-plios/:id/', { schema: { tags, params: IdParams } }, async (request) =>
    (await linksJson(request, [await findLink(request, parseId(request.params.id))]))[0],
  );
  const updateLink = async (request: FastifyRequest<{ Params: { id: string }; Body: UpdateExperimentPlio | undefined }>) => {
    const link = await findLink(request, parseId(request.params.id));
    const body = request.body ?? {};
    await checkTargets(request, body);
    const columns = linkColumns(body);
    const updated =
      Object.keys(columns).length === 0
        ? link
        : await request.scope.query.updateTable('experiment_plio').set(columns).where('id', '=', link.id).returningAll().executeTakeFirstOrThrow();
    return (await linksJson(request, [updated]))[0];
  };
  app.put('/api/v1/experiment-plios/:id/', { schema: { tags, params: IdParams, body: CreateExperimentPlio } }, updateLink);
  app.patch('/api/v1/experiment-plios/:id/', { schema: { tags, params: IdParams, body: Type.Optional(UpdateExperimentPlio) } }, updateLink);
  app.delete('/api/v1/experiment-plios/:id/', { schema: { tags, params: IdParams } }, async (request, reply) => {
    const link = await findLink(request, parseId(request.params.id));
    await request.scope.query.updateTable('experiment_plio').set({ deleted_at: new Date() }).where('id', '=', link.id).execute();
    return reply.status(204).send();
  });
}
