import type { Database } from '../db/database.ts';

/** A query Kysely can both stream and run a page of (a `SelectQueryBuilder`). */
export interface PageableQuery<Row> {
  limit(count: number): { execute(): Promise<Row[]> };
  stream(chunkSize?: number): AsyncIterableIterator<Row>;
}

/** A query whose rows are ordered by a unique key, so it can be resumed after any row. */
export interface KeysetQuery<Row, Key> {
  /** The rows whose key comes after `after` (every row when undefined), in key order. */
  rowsAfter(after: Key | undefined): PageableQuery<Row>;
  keyOf(row: Row): Key;
}

/** Reads every row of a query without ever holding more than a page of them. */
export type RowReader = <Row, Key>(query: KeysetQuery<Row, Key>) => AsyncIterable<Row>;

/**
 * PostgreSQL streams the one query through a cursor. The embedded database
 * cannot stream, so there the query is run a page at a time, each page
 * starting after the last key seen (keyset pagination: every page is an index
 * range scan, and other requests get the single embedded session in between).
 */
export function rowReader(kind: Database['kind'], pageSize = 1000): RowReader {
  if (kind === 'postgres') return (query) => query.rowsAfter(undefined).stream(pageSize);
  return async function* readPages<Row, Key>(query: KeysetQuery<Row, Key>) {
    let after: Key | undefined;
    for (;;) {
      const rows = await query.rowsAfter(after).limit(pageSize).execute();
      yield* rows;
      const last = rows.at(-1);
      if (last === undefined || rows.length < pageSize) return;
      after = query.keyOf(last);
    }
  };
}
