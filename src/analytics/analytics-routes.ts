import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { AppContext } from '../app-context.ts';
import { errors } from '../errors.ts';
import { showsLearnerIdentities } from './learner-identity.ts';
import { plioMetrics } from './metrics.ts';
import { findPlioForUser } from '../content/plio-access.ts';
import { reportEntries } from './report.ts';
import { zipStream } from './report-zip.ts';
import { rowReader } from './row-reader.ts';

const PlioParams = Type.Object({ uuid: Type.String({ description: "The plio's uuid" }) });

const Percent = Type.Union([Type.Number(), Type.Null()]);

const MetricsBody = Type.Object(
  {
    unique_viewers: Type.Optional(Type.Integer()),
    average_watch_time: Type.Optional(Type.Number({ description: 'seconds' })),
    percent_one_minute_retention: Type.Optional(Type.Union([Type.Number(), Type.Null()], { description: 'null for videos under a minute' })),
    accuracy: Type.Optional(Percent),
    average_num_answered: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    percent_completed: Type.Optional(Percent),
    has_survey_question: Type.Optional(Type.Boolean()),
  },
  { description: "Computed over each viewer's latest session; `{has_survey_question}` alone when the plio has no session yet." },
);

const Detail = Type.Object({ detail: Type.String() });

/** `GET /api/v1/plios/{uuid}/metrics/` and `GET /api/v1/plios/{uuid}/download_data/`. */
export async function analyticsRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const read = rowReader(context.database.kind);

  api.get(
    '/api/v1/plios/:uuid/metrics/',
    {
      schema: {
        tags: ['plios'],
        summary: "A plio's usage metrics",
        security: [{ bearer: [] }],
        params: PlioParams,
        response: { 200: MetricsBody, 401: Detail, 403: Detail, 404: Detail },
      },
    },
    async (request) => {
      const plio = await findPlioForUser(request, request.scope.db, request.params.uuid);
      return plioMetrics(request.scope.query, plio);
    },
  );

  // Untyped replies: the body is a stream, which the type provider cannot describe.
  app.get<{ Params: Static<typeof PlioParams> }>(
    '/api/v1/plios/:uuid/download_data/',
    {
      schema: {
        tags: ['plios'],
        summary: "A published plio's report: a zip of CSV files and a guide to them",
        description:
          'Learners are named only for super-admins and org-admins of the organization; everyone else sees an MD5 of the user id.',
        security: [{ bearer: [] }],
        params: PlioParams,
        response: {
          200: { description: 'The report', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } },
        },
      },
    },
    async (request, reply) => {
      const plio = await findPlioForUser(request, request.scope.db, request.params.uuid);
      if (plio.status === 'draft') throw errors.reportOfDraftPlio();
      const unmasked = await showsLearnerIdentities(request);
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="plio-data-${plio.uuid}.zip"`)
        .send(zipStream(reportEntries(request.scope.query, read, plio, unmasked)));
    },
  );
}
