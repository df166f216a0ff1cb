import { sql, type RawBuilder } from 'kysely';

/**
 * How answers are graded, shared by the metrics and every report file so
 * they can never disagree. Columns are given as references such as `a.answer`.
 */

/** An answer counts as given when it holds a value: neither SQL NULL nor JSON `null` (a skip). */
export function isAnswered(answer: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(answer)} is not null and jsonb_typeof(${sql.ref(answer)}) <> 'null')`;
}

/**
 * A given answer is correct when it equals the question's correct answer;
 * a subjective question has none, so any answer to it is correct.
 */
export function isCorrect(answer: string, questionType: string, correctAnswer: string): RawBuilder<boolean> {
  return sql<boolean>`(${isAnswered(answer)} and ${matchesCorrectAnswer(answer, questionType, correctAnswer)})`;
}

/** `isCorrect` for an answer already known to be given. */
export function matchesCorrectAnswer(answer: string, questionType: string, correctAnswer: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(questionType)} = 'subjective' or ${sql.ref(answer)} = ${sql.ref(correctAnswer)})`;
}
