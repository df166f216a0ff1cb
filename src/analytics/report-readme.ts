import PDFDocument from 'pdfkit';

/** One section of the guide: a heading, a paragraph, and the columns it explains. */
interface Section {
  readonly title: string;
  readonly text: string;
  readonly columns?: readonly (readonly [column: string, meaning: string])[];
}

const LEARNER_COLUMNS = [
  [
    'user_identifier',
    "the learner: a hash of their account (the same learner has the same hash in every plio's report) unless you administer the organization, in which case their email, mobile number or single-sign-on id",
  ],
  ['has_user_logged_in_via_sso', 'true when the learner signed in through their organization (single sign-on)'],
] as const;

const SECTIONS: readonly Section[] = [
  {
    title: 'How a plio records what learners do',
    text:
      'Each question you add to the plio is an item. Every time a learner opens the plio a new session begins; a ' +
      'later session carries over the watch time, the retention and the answers of the previous one, so the latest ' +
      'session of a learner holds their whole progress. Each session keeps one answer per question (empty until the ' +
      'learner answers) and the events of the player (play, pause, seek, answer...). Deleted questions and sessions ' +
      'are not part of the report. Option numbers count from 1: option 1 is the first option.',
  },
  {
    title: 'plio-meta-details.csv',
    text: 'The plio this report is about.',
    columns: [
      ['id', "the plio's identifier (the end of its link)"],
      ['name', 'its name'],
      ['video', 'the link of its video'],
    ],
  },
  {
    title: 'plio-interaction-details.csv',
    text: 'One row per question, in the order they appear in the video.',
    columns: [
      ['item_id', 'the identifier of the item, which responses.csv refers to'],
      ['item_type', 'the kind of item (question)'],
      ['item_time', 'when the question appears, in seconds from the start of the video'],
      ['question_type', 'mcq (one option), checkbox (several options) or subjective (free text)'],
      ['question_text', 'the question'],
      ['question_options', 'the options offered, in order'],
      ['question_correct_answer', 'the number of the correct option (mcq), the list of correct options (checkbox); empty for subjective questions'],
    ],
  },
  {
    title: 'sessions.csv',
    text: 'One row per session of every learner.',
    columns: [
      ['session_id', 'the identifier of the session'],
      ['watch_time', 'seconds of video watched, including earlier sessions of the same learner'],
      ...LEARNER_COLUMNS,
      ['created_at', 'when the session began (UTC)'],
      ['last_updated_at', 'when it last changed (UTC)'],
    ],
  },
  {
    title: 'responses.csv',
    text: 'One row per question per session: what the learner answered. An empty answer means the question was not answered (yet).',
    columns: [
      ['session_id', 'the session, as in sessions.csv'],
      ...LEARNER_COLUMNS,
      ['item_id', 'the question, as in plio-interaction-details.csv'],
      ['question_type', 'mcq, checkbox or subjective'],
      ['correct_answer', 'the correct option(s), numbered from 1'],
      ['is_answer_correct', 'true when the answer is right; any answer to a subjective question counts as right'],
      ['answered_at', 'when the answer row was created (UTC)'],
      ['answer', 'the option number (mcq), the list of option numbers (checkbox) or the text (subjective)'],
    ],
  },
  {
    title: 'user-level-metrics.csv',
    text: "One row per learner, from their latest session: the learner's overall result.",
    columns: [
      ...LEARNER_COLUMNS,
      ['num_questions_attempted', 'questions the learner answered'],
      ['num_questions_answered_correctly', 'questions answered correctly'],
      ['are_all_questions_attempted', 'true when every question of the plio was answered'],
    ],
  },
  {
    title: 'events.csv',
    text: 'Everything the learners did in the player, one row per event, to follow a learner second by second.',
    columns: [
      ['session_id', 'the session, as in sessions.csv'],
      ...LEARNER_COLUMNS,
      [
        'event_type',
        'ready, played, paused, enter_fullscreen, exit_fullscreen, item_opened, option_selected, question_skipped, ' +
          'question_answered, question_revised, question_proceed, video_seeking, video_seeked or watching',
      ],
      ['event_player_time', 'the position in the video, in seconds'],
      ['event_details', 'more about the event, as JSON; the itemIndex and optionIndex in it count from 0'],
      ['event_global_time', 'when the event happened (UTC)'],
    ],
  },
];

let rendered: Promise<Buffer> | undefined;

/** `READ-ME-FIRST.pdf`: what each file of the report holds. Rendered once per process. */
export function reportReadme(): Promise<Buffer> {
  rendered ??= render();
  return rendered;
}

function render(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: 'Plio report: read me first' } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    doc.font('Helvetica-Bold').fontSize(20).text('Plio report: read me first');
    doc.moveDown(0.5);
    doc.font('Helvetica').fontSize(11).text('This archive holds the data of one plio as CSV files, which any spreadsheet opens. This guide explains each of them.');
    for (const section of SECTIONS) {
      doc.moveDown();
      doc.font('Helvetica-Bold').fontSize(14).text(section.title);
      doc.font('Helvetica').fontSize(11).text(section.text);
      for (const [column, meaning] of section.columns ?? []) {
        doc.moveDown(0.2);
        doc.font('Helvetica-Bold').text(`${column}: `, { continued: true }).font('Helvetica').text(meaning);
      }
    }
    doc.end();
  });
}
