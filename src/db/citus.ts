import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKysely = Kysely<any>;

const detected = new WeakMap<AnyKysely, Promise<boolean>>();

/**
 * Whether the database behind `db` (a process-wide handle, not a
 * transaction) is a Citus cluster's coordinator: asked once per handle and
 * remembered. A failed question is asked again next time. The embedded
 * database never is.
 */
export function onCitus(db: AnyKysely): Promise<boolean> {
  let known = detected.get(db);
  if (!known) {
    known = sql<{ citus: boolean }>`select exists (select 1 from pg_extension where extname = 'citus') as citus`
      .execute(db)
      .then(({ rows }) => rows[0]!.citus);
    detected.set(db, known);
    known.catch(() => detected.delete(db));
  }
  return known;
}
