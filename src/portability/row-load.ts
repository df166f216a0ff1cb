import { sql } from 'kysely';
import { pgErrorCode } from '../db/db-errors.ts';
import { errors } from '../errors.ts';
import type { SqlExecutor } from '../tenancy/migration.ts';
import { moveIdentitiesPastKeys } from '../tenancy/provisioning.ts';
import type { TableShape } from './catalog.ts';

/**
 * Inserts rows given as one JSON array of `row_to_json` objects into
 * `schema`'s table, in one statement: PostgreSQL parses the JSON
 * (`json_populate_recordset` over the table's own row type), so nothing is
 * parsed or re-typed in JavaScript. With `userIds` (a JSON object from
 * archive user id to local user id) every user column is remapped on the way
 * in.
 */
export async function insertJsonRows(trx: SqlExecutor, schema: string, shape: TableShape, rows: string, userIds?: string): Promise<void> {
  const relation = sql.table(`${schema}.${shape.name}`);
  const remapped = userIds === undefined ? [] : shape.userColumns;
  // One join per user column against the mapping, read once per statement
  // (a cast of the parameter in the select list would be parsed per row).
  const values = shape.columns.map((column) => (remapped.includes(column) ? sql.ref(`m${remapped.indexOf(column)}.id`) : sql.ref(`r.${column}`)));
  const joins = remapped.map(
    (column, i) => sql`left join users ${sql.raw(`m${i}`)} on ${sql.ref(`m${i}.old_id`)} = ${sql.ref(`r.${column}`)}`,
  );
  try {
    await sql`with users as (select key::bigint as old_id, value::bigint as id from json_each_text(${userIds ?? '{}'}::json))
      insert into ${relation} (${sql.join(shape.columns.map((column) => sql.ref(column)))}) overriding system value
      select ${sql.join(values)} from json_populate_recordset(null::${relation}, ${rows}::json) r ${sql.join(joins, sql` `)}`.execute(trx);
  } catch (error) {
    const column = (error as { column?: string }).column;
    if (userIds !== undefined && pgErrorCode(error) === '23502' && column && shape.userColumns.includes(column)) {
      throw errors.archiveInvalid(`${shape.name}.${column} names a user whom the archive does not carry`);
    }
    throw error;
  }
}

/** Moves each identity sequence of the loaded tables past the largest loaded value. */
export async function moveSequencesPastRows(trx: SqlExecutor, schema: string, tables: readonly TableShape[]): Promise<void> {
  await moveIdentitiesPastKeys(trx, schema, tables.flatMap((table) => table.identities.map((column) => ({ table: table.name, column }))));
}
