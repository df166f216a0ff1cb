import { randomInt } from 'node:crypto';
import { errors } from '../errors.ts';

/** The schema of the public tenant: shared tables and the personal workspace. */
export const PUBLIC_SCHEMA = 'public';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;
const MAX_LENGTH = 63; // PostgreSQL truncates identifiers beyond this silently
const RESERVED = new Set(['public', 'information_schema']);

/**
 * Checks a schema name chosen by a person: lowercase letters, digits and
 * underscores, not starting with a digit or `pg_`, at most 63 characters.
 * Throws the catalog's `INVALID_SCHEMA_NAME` with the reason otherwise.
 */
export function assertValidSchemaName(name: string): void {
  const reason = schemaNameProblem(name);
  if (reason) throw errors.invalidSchemaName(name, reason);
}

function schemaNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_LENGTH) return `it is longer than ${MAX_LENGTH} characters`;
  if (!SCHEMA_NAME.test(name)) {
    return 'use lowercase letters, digits and "_", not starting with a digit';
  }
  if (name.startsWith('pg_')) return 'names starting with "pg_" are reserved by PostgreSQL';
  if (RESERVED.has(name)) return `"${name}" is reserved`;
  return undefined;
}

/** Ten random lowercase letters, as the reference generates them. */
export function generateSchemaName(): string {
  let name = '';
  for (let i = 0; i < 10; i++) name += String.fromCharCode(97 + randomInt(26));
  return name;
}

/** Quotes a schema name for interpolation into SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string as a SQL literal for interpolation into SQL text (`standard_conforming_strings` is on). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
