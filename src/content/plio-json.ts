import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { LoadedPlio } from './plio-loader.ts';
import type { Json } from './representations.ts';
import { loadUserSummaries } from './user-summaries.ts';

/** Full plio representations: cached content plus creators read fresh (one query for all). */
export async function plioJsonMany(db: Kysely<DB>, plios: readonly LoadedPlio[]): Promise<Json[]> {
  const creators = await loadUserSummaries(
    db,
    plios.map((loaded) => loaded.plio.created_by_id),
  );
  return plios.map((loaded) => {
    const { items, ...rest } = loaded.content;
    return { ...rest, created_by: creators.get(loaded.plio.created_by_id) ?? loaded.plio.created_by_id, items };
  });
}

export async function plioJson(db: Kysely<DB>, plio: LoadedPlio): Promise<Json> {
  const [json] = await plioJsonMany(db, [plio]);
  return json as Json;
}
