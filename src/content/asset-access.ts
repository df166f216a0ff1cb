/**
 * Who may see and change a workspace's videos, images and tags (the assets
 * its plios are made of): the plio rules of SPEC section 5, in one place.
 *
 * - Organization workspace: its members (any role) and superusers reach
 *   every asset; anyone else is refused (403) before any row is read.
 * - Personal workspace: an asset is its creator's; superusers reach all.
 *   Assets with no recorded creator (made before tenant migration 0003 and
 *   shown by no plio) are reached by superusers only.
 * - Learners reach assets only inside what `play` and their sessions give.
 *
 * Order of answers, as for plios: 401 without a login, 403 for a workspace
 * the user does not belong to, 404 for no such live row, 403 for a row of
 * someone else. A reference from another row (a plio's video, a question's
 * image) to an asset the user may not reach is an unknown reference (400),
 * so it reveals nothing either.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import { requireUser, type CurrentUser } from '../accounts/current-user.ts';
import type { DB, Row } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { parseId } from './http.ts';
import { isWorkspaceMember } from './plio-access.ts';

export type AssetTable = 'video' | 'image' | 'tag';

/** What the user reaches in this workspace: every asset, or only those they created. */
export type AssetReach = { readonly all: true; readonly user: CurrentUser } | { readonly all: false; readonly user: CurrentUser };

/**
 * The signed-in user's reach over the request's workspace assets: 401
 * without a login, 403 in an organization they are not a member of. Costs no
 * query (the workspace role comes with authentication).
 */
export async function assetReach(request: FastifyRequest, db: Kysely<DB>): Promise<AssetReach> {
  const user = requireUser(request);
  if (user.isSuperuser) return { all: true, user };
  if (request.scope.isPersonalWorkspace) return { all: false, user };
  if (!(await isWorkspaceMember(request, db))) throw errors.permissionDenied();
  return { all: true, user };
}

/** Whether `reach` covers an asset created by `createdById`. */
export function reaches(reach: AssetReach, createdById: number | null): boolean {
  return reach.all || createdById === reach.user.id;
}

/** Narrows a query on an asset table to the live rows `reach` covers. */
export function reachableOnly<T extends AssetTable, O>(
  query: SelectQueryBuilder<DB, T, O>,
  reach: AssetReach,
): SelectQueryBuilder<DB, T, O> {
  // The builder's table union defeats Kysely's column inference: every asset table has these columns.
  const narrowed = (query as unknown as SelectQueryBuilder<DB, 'video', O>).where('deleted_at', 'is', null);
  return (reach.all ? narrowed : narrowed.where('created_by_id', '=', reach.user.id)) as unknown as SelectQueryBuilder<DB, T, O>;
}

/** The live assets of the workspace the user reaches, oldest first. */
export async function listAssets<T extends AssetTable>(request: FastifyRequest, db: Kysely<DB>, table: T): Promise<Row<T>[]> {
  const reach = await assetReach(request, db);
  const rows = await reachableOnly(request.scope.query.selectFrom(table as AssetTable).selectAll(), reach)
    .orderBy('id')
    .execute();
  return rows as Row<T>[];
}

/** A live asset by its path id for the signed-in user, in the order of answers above. */
export async function findAssetForUser<T extends AssetTable>(
  request: FastifyRequest,
  db: Kysely<DB>,
  table: T,
  rawId: string,
): Promise<{ row: Row<T>; reach: AssetReach }> {
  const reach = await assetReach(request, db);
  const row = await request.scope.query
    .selectFrom(table as AssetTable)
    .selectAll()
    .where('id', '=', parseId(rawId))
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw errors.notFound();
  if (!reaches(reach, row.created_by_id)) throw errors.permissionDenied();
  return { row: row as Row<T>, reach };
}

/**
 * Checks that every id another row is about to point at is a live asset the
 * user reaches; the first that is not is the 400 of an unknown reference,
 * reported under `fieldOf(id)`.
 */
export async function assertAssetsReachable(
  request: FastifyRequest,
  db: Kysely<DB>,
  table: 'video' | 'image',
  ids: readonly number[],
  fieldOf: (id: number) => string,
): Promise<void> {
  if (ids.length === 0) return;
  const reach = await assetReach(request, db);
  const found = new Set(
    (await reachableOnly(request.scope.query.selectFrom(table as AssetTable).select('id'), reach).where('id', 'in', [...ids]).execute()).map(
      (row) => row.id,
    ),
  );
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw errors.invalidReference(fieldOf(missing), missing);
}
