/**
 * Items and questions are reached through their plio: the same access
 * matrix, with a 404 when the row (or its plio) does not exist.
 */
import type { FastifyRequest } from 'fastify';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { requireUser } from '../accounts/current-user.ts';
import type { DB, Row } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { accessiblePlioFilter, assertPlioAccess } from './plio-access.ts';

async function livePlio(request: FastifyRequest, plioId: number): Promise<Row<'plio'> | undefined> {
  return request.scope.query.selectFrom('plio').selectAll().where('id', '=', plioId).where('deleted_at', 'is', null).executeTakeFirst();
}

/** The plio a new item or a moved item goes to: 400 when it does not exist, 403 when not the user's to edit. */
export async function plioForWrite(request: FastifyRequest, db: Kysely<DB>, plioId: number): Promise<Row<'plio'>> {
  const plio = await livePlio(request, plioId);
  if (!plio) throw errors.invalidReference('plio', plioId);
  await assertPlioAccess(request, db, plio);
  return plio;
}

export async function findItemForUser(request: FastifyRequest, db: Kysely<DB>, id: number): Promise<{ item: Row<'item'>; plio: Row<'plio'> }> {
  requireUser(request);
  const item = await request.scope.query.selectFrom('item').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  const plio = item && (await livePlio(request, item.plio_id));
  if (!item || !plio) throw errors.notFound();
  await assertPlioAccess(request, db, plio);
  return { item, plio };
}

/** The item a new or moved question goes to: 400 when it does not exist, 403 when its plio is not the user's. */
export async function itemForWrite(request: FastifyRequest, db: Kysely<DB>, itemId: number): Promise<{ item: Row<'item'>; plio: Row<'plio'> }> {
  const item = await request.scope.query.selectFrom('item').selectAll().where('id', '=', itemId).where('deleted_at', 'is', null).executeTakeFirst();
  const plio = item && (await livePlio(request, item.plio_id));
  if (!item || !plio) throw errors.invalidReference('item', itemId);
  await assertPlioAccess(request, db, plio);
  return { item, plio };
}

export async function findQuestionForUser(
  request: FastifyRequest,
  db: Kysely<DB>,
  id: number,
): Promise<{ question: Row<'question'>; item: Row<'item'>; plio: Row<'plio'> }> {
  requireUser(request);
  const question = await request.scope.query.selectFrom('question').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  if (!question) throw errors.notFound();
  const item = await request.scope.query.selectFrom('item').selectAll().where('id', '=', question.item_id).where('deleted_at', 'is', null).executeTakeFirst();
  const plio = item && (await livePlio(request, item.plio_id));
  if (!item || !plio) throw errors.notFound();
  await assertPlioAccess(request, db, plio);
  return { question, item, plio };
}

/** A condition on a plio aliased `p` keeping the live plios the user may reach. */
export async function accessiblePlios(request: FastifyRequest, db: Kysely<DB>): Promise<RawBuilder<boolean>> {
  const user = requireUser(request);
  const filter = await accessiblePlioFilter(request, db, user);
  if (filter.all) return sql<boolean>`p.deleted_at is null`;
  if (filter.publicToo) return sql<boolean>`p.deleted_at is null and (p.created_by_id = ${filter.creatorId} or p.is_public)`;
  return sql<boolean>`p.deleted_at is null and p.created_by_id = ${filter.creatorId}`;
}
