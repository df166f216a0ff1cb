/**
 * Reads PostgreSQL error fields from errors thrown by either driver
 * (`pg` and PGlite both expose `code` and `constraint`).
 */
interface PgErrorFields {
  code?: string;
  constraint?: string;
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

/** The violated constraint's name when `error` is a unique violation. */
export function uniqueViolation(error: unknown): string | undefined {
  const fields = error as PgErrorFields | null;
  return fields?.code === PG.UNIQUE_VIOLATION ? (fields.constraint ?? '') : undefined;
}
