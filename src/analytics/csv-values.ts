/**
 * How report cells are written, matching the reference's CSV files (which
 * pandas wrote): floats always show a decimal point (`7.0`), option numbers
 * count from 1, lists print as `[1, 3]`, missing values are empty cells.
 */

/** A float as Python prints it: `42.5`, `7.0`. */
export function floatCell(value: number | null): string {
  if (value === null) return '';
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? value.toFixed(1) : String(value);
}

/**
 * An answer or correct answer with 1-based option numbers: an mcq's option
 * index (`0` → `1`), a checkbox's list of indexes (`[0, 2]` → `[1, 3]`); a
 * subjective answer verbatim; nothing (a skip, no correct answer) as empty.
 */
export function optionCell(questionType: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (questionType === 'mcq' && typeof value === 'number') return String(value + 1);
  if (questionType === 'checkbox' && Array.isArray(value) && value.every((option) => typeof option === 'number')) {
    return `[${value.map((option: number) => option + 1).join(', ')}]`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
