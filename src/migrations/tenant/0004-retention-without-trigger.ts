import type { Migration } from '../../tenancy/migration.ts';

/**
 * Drops the trigger (and its function) that tenant migration 0002 made to
 * keep `session.retention_seconds` and `retention_reach`: the session write
 * path computes them now (`src/learning/retention-facts.ts`). Citus refuses
 * triggers on distributed tables, our rules allow none on tenant tables, and
 * the function was compiled once per tenant schema. The stored facts of
 * existing sessions stay as the trigger left them, which is what the write
 * path would compute.
 */
export const retentionWithoutTrigger: Migration = {
  name: '0004-retention-without-trigger',
  sql: `
drop trigger session_retention_facts on session;
drop function session_retention_facts()`,
};
