import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import type { SqlExecutor } from '../tenancy/migration.ts';

/** Rows of one relation, each rendered by PostgreSQL as one line of JSON. */
export interface LineSource {
  /** The relation, aliased `t` by the reader: `sql.table(...)` or a qualified name. */
  readonly relation: RawBuilder<unknown>;
  /** A unique, indexed column of `t`: lines come in its order. */
  readonly key: string;
  /** The JSON text of a row of `t`; `row_to_json(t)::text` by default. */
  readonly line?: RawBuilder<string>;
  /** Narrows the rows (a condition on `t`). */
  readonly where?: RawBuilder<boolean>;
}

/**
 * Reads every row of `source` as JSON text, never holding more than a page.
 *
 * PostgreSQL renders the JSON (`row_to_json`): timestamps keep their
 * microseconds, numbers and jsonb values their exact text, and nothing is
 * parsed in JavaScript. On PostgreSQL the one query streams through a cursor
 * inside the caller's transaction (so it reads the caller's snapshot); the
 * embedded database cannot stream, so there the query runs a page at a time
 * after the last key seen (keyset pagination: each page an index range scan),
 * also inside the caller's transaction.
 */
export async function* jsonLines(trx: SqlExecutor, kind: Database['kind'], source: LineSource, pageSize = 2000): AsyncGenerator<string[]> {
  const line = source.line ?? sql<string>`row_to_json(t)::text`;
  const key = sql.ref(`t.${source.key}`);
  const where = source.where ?? sql<boolean>`true`;
  if (kind === 'postgres') {
    const query = sql<{ line: string }>`select ${line} as line from ${source.relation} t where ${where} order by ${key}`.compile(trx);
    for await (const chunk of trx.getExecutor().stream(query, pageSize)) yield chunk.rows.map((row) => row.line);
    return;
  }
  let after: unknown;
  for (;;) {
    const page = after === undefined ? sql`true` : sql`${key} > ${after}`;
    const { rows } = await sql<{ key: unknown; line: string }>`
      select ${key} as key, ${line} as line from ${source.relation} t
      where ${where} and ${page} order by ${key} limit ${pageSize}`.execute(trx);
    if (rows.length > 0) yield rows.map((row) => row.line);
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.key;
  }
}
