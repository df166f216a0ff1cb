import type { Kysely } from 'kysely';
import type { DB, Row } from '../db/schema.ts';
import { experimentJson, type Json } from './representations.ts';
import { loadUserSummaries } from './user-summaries.ts';

/** Experiments as JSON with their creators: one query for any number. */
export async function experimentsJson(db: Kysely<DB>, experiments: readonly Row<'experiment'>[]): Promise<Json[]> {
  const creators = await loadUserSummaries(
    db,
    experiments.map((experiment) => experiment.created_by_id),
  );
  return experiments.map((experiment) => experimentJson(experiment, creators.get(experiment.created_by_id) ?? experiment.created_by_id));
}
