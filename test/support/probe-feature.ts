import { sql } from 'kysely';
import type { Feature } from '../../src/feature.ts';

/**
 * A feature for tests of the tenancy layer: writes and reads through the
 * request's tenant scope, both query-builder and raw-SQL paths, and says
 * which tenant it saw.
 */
export const probeFeature: Feature = {
  name: 'probe',
  async routes(app) {
    app.get('/probe/where', async (request) => ({ schema: request.tenant.schema, shortcode: request.tenant.shortcode, url: request.url }));

    app.post<{ Body: { url: string } }>('/probe/videos', async (request) => {
      const row = await request.scope.query.insertInto('video').values({ url: request.body.url }).returning('id').executeTakeFirstOrThrow();
      return { id: row.id, schema: request.tenant.schema };
    });

    app.post<{ Body: { url: string } }>('/probe/raw-videos', async (request) => {
      const row = await request.scope.rawTransaction(async (trx) => {
        const { rows } = await sql<{ id: number }>`insert into video (url) values (${request.body.url}) returning id`.execute(trx);
        // Asked apart: Citus refuses a function that is not immutable in RETURNING.
        const { rows: where } = await sql<{ schema: string }>`select current_schema() as schema`.execute(trx);
        return { id: rows[0]!.id, schema: where[0]!.schema };
      });
      return { id: row.id, schema: row.schema };
    });

    app.get<{ Params: { id: string } }>('/probe/videos/:id', async (request, reply) => {
      const row = await request.scope.query.selectFrom('video').select(['id', 'url']).where('id', '=', Number(request.params.id)).executeTakeFirst();
      return row ?? reply.status(404).send({ detail: 'Not found.' });
    });
  },
};
