/**
 * What the metrics need from a session's retention string, stored with the
 * row (tenant migration 0002 added the columns) so that they compare two
 * integers per viewer instead of parsing every viewer's string:
 *
 * - `retention_seconds`: how many per-second counts the string holds;
 * - `retention_reach`: the position (1-based) of the last non-zero count,
 *   0 when every count is 0.
 *
 * Both are null when the string is not a comma-separated list of counts
 * ("NaN,NaN", empty, empty entries): such a session says nothing about
 * retention.
 *
 * Computed here, in the write path, since tenant migration 0004 dropped the
 * trigger that did it (Citus refuses triggers on distributed tables, and a
 * compiled function per tenant schema cost every tenant). Every write of
 * `retention` goes through `withRetentionFacts`.
 */
export interface RetentionFacts {
  retention_seconds: number | null;
  retention_reach: number | null;
}

const COUNTS = /^[0-9]+(,[0-9]+)*$/;

export function retentionFacts(retention: string): RetentionFacts {
  if (!COUNTS.test(retention)) return { retention_seconds: null, retention_reach: null };
  const counts = retention.split(',');
  let reach = counts.length;
  while (reach > 0 && /^0+$/.test(counts[reach - 1]!)) reach--;
  return { retention_seconds: counts.length, retention_reach: reach };
}

/** The retention column with its facts, to spread into an insert's values or an update's set. */
export function withRetentionFacts(retention: string): { retention: string } & RetentionFacts {
  return { retention, ...retentionFacts(retention) };
}
