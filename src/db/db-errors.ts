/**
 * Reads PostgreSQL error fields from errors thrown by either driver
 * (`pg` and PGlite both expose `code`, `constraint` and `table`).
 */
interface PgErrorFields {
  code?: string;
  constraint?: string;
  table?: string;
  message?: string;
}

export const PG = Object.freeze({
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  DUPLICATE_SCHEMA: '42P06',
  INVALID_SCHEMA_NAME: '3F000',
  INVALID_TEXT_REPRESENTATION: '22P02',
  NUMERIC_OUT_OF_RANGE: '22003',
  STRING_TOO_LONG: '22001',
});

export function pgErrorCode(error: unknown): string | undefined {
  return (error as PgErrorFields | null)?.code;
}

/**
 * The violated constraint's name when `error` is a unique violation (`''`
 * when the error does not say which), as the migrations named it.
 *
 * On Citus the constraint belongs to a shard and carries its id
 * (`organization_live_shortcode_key_102008`, on table `organization_102008`);
 * a violation on a worker arrives with no constraint or table field at all,
 * only the message naming the shard's constraint. Both map to the base name.
 * The error can come from any statement of a transaction or from its COMMIT
 * (where Citus reports some violations): map it around the whole
 * transaction, not only around the statement.
 */
export function uniqueViolation(error: unknown): string | undefined {
  const fields = error as PgErrorFields | null;
  if (fields?.code !== PG.UNIQUE_VIOLATION) return undefined;
  const named = fields.constraint ?? /"([^"]+)"/.exec(fields.message ?? '')?.[1];
  if (named === undefined) return '';
  const shard = SHARD_SUFFIX.exec(named)?.[0];
  const onShard = shard !== undefined && (fields.table === undefined || fields.table.endsWith(shard));
  return onShard ? named.slice(0, -shard.length) : named;
}

/** The `_<shard id>` that Citus appends to a shard's tables and constraints. */
const SHARD_SUFFIX = /_\d+$/;
