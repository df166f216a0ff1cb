import { Readable } from 'node:stream';
import type { QueryCreator } from 'kysely';
import type { DB, Row } from '../db/schema.ts';
import { csvChunks } from './csv-file.ts';
import { floatCell, optionCell } from './csv-values.ts';
import { reportReadme } from './report-readme.ts';
import {
  eventRows,
  interactionRows,
  responseRows,
  sessionRows,
  userLevelMetricRows,
  videoUrl,
  type ReportScope,
} from './report-queries.ts';
import type { RowReader } from './row-reader.ts';
import type { ZipEntry } from './report-zip.ts';

/** The files of a plio's report, with the reference's names and columns, in archive order. */
export function reportEntries(
  query: QueryCreator<DB>,
  read: RowReader,
  plio: Pick<Row<'plio'>, 'id' | 'uuid' | 'name' | 'video_id'>,
  unmasked: boolean,
): ZipEntry[] {
  const scope: ReportScope = { query, plioId: plio.id, unmasked };
  return [
    csvEntry(
      'sessions.csv',
      ['session_id', 'watch_time', 'user_identifier', 'has_user_logged_in_via_sso', 'created_at', 'last_updated_at'],
      () => mapRows(read(sessionRows(scope)), (row) => ({ ...row, watch_time: floatCell(row.watch_time) })),
    ),
    csvEntry(
      'user-level-metrics.csv',
      [
        'user_identifier',
        'has_user_logged_in_via_sso',
        'num_questions_attempted',
        'num_questions_answered_correctly',
        'are_all_questions_attempted',
      ],
      () => read(userLevelMetricRows(scope)),
    ),
    csvEntry(
      'responses.csv',
      [
        'session_id',
        'user_identifier',
        'has_user_logged_in_via_sso',
        'item_id',
        'question_type',
        'correct_answer',
        'is_answer_correct',
        'answered_at',
        'answer',
      ],
      () =>
        mapRows(read(responseRows(scope)), (row) => ({
          ...row,
          correct_answer: optionCell(row.question_type, row.correct_answer),
          answer: optionCell(row.question_type, row.answer),
        })),
    ),
    csvEntry(
      'plio-interaction-details.csv',
      ['item_id', 'item_type', 'item_time', 'question_type', 'question_text', 'question_options', 'question_correct_answer'],
      async function* () {
        for (const row of await interactionRows(scope)) {
          yield {
            ...row,
            item_time: floatCell(row.item_time),
            question_correct_answer: optionCell(row.question_type, row.question_correct_answer),
          };
        }
      },
    ),
    csvEntry(
      'events.csv',
      [
        'session_id',
        'user_identifier',
        'has_user_logged_in_via_sso',
        'event_type',
        'event_player_time',
        'event_details',
        'event_global_time',
      ],
      () => mapRows(read(eventRows(scope)), (row) => ({ ...row, event_player_time: floatCell(row.event_player_time) })),
    ),
    csvEntry('plio-meta-details.csv', ['id', 'name', 'video'], async function* () {
      yield { id: plio.uuid, name: plio.name, video: await videoUrl(query, plio.video_id) };
    }),
    { name: 'READ-ME-FIRST.pdf', open: () => Readable.from(readmeChunks(), { objectMode: false }) },
  ];
}

function csvEntry<R extends Record<string, unknown>>(
  name: string,
  columns: readonly (keyof R & string)[],
  rows: () => AsyncIterable<R>,
): ZipEntry {
  return { name, open: () => Readable.from(csvChunks(columns, rows()), { objectMode: false }) };
}

async function* mapRows<A, B>(rows: AsyncIterable<A>, map: (row: A) => B): AsyncGenerator<B> {
  for await (const row of rows) yield map(row);
}

async function* readmeChunks(): AsyncGenerator<Buffer> {
  yield await reportReadme();
}
