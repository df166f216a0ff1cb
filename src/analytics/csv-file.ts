import { stringify } from 'csv-stringify/sync';

/** Rows written per `stringify` call: large enough to be cheap, small enough to stay flat. */
const BATCH = 500;

/**
 * A CSV file as a sequence of text chunks: the header, then the rows in
 * batches, pulled from `rows` only as fast as the chunks are consumed.
 */
export async function* csvChunks<Row extends Record<string, unknown>>(
  columns: readonly (keyof Row & string)[],
  rows: AsyncIterable<Row> | Iterable<Row>,
): AsyncGenerator<string> {
  yield stringify([columns]);
  let batch: Row[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length === BATCH) {
      yield stringify(batch, { columns: [...columns] });
      batch = [];
    }
  }
  if (batch.length > 0) yield stringify(batch, { columns: [...columns] });
}
