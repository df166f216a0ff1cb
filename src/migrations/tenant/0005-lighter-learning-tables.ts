import type { Migration } from '../../tenancy/migration.ts';

/**
 * Drops the foreign keys of the tables learners write (sessions, their
 * answers and events): the writes with the most volume, in every tenant.
 *
 * A foreign key is four triggers (two on each table) and, in every backend
 * that writes through it, a cached check plan: measured on PostgreSQL 15
 * with 600 tenant schemas, ~16 kB of private backend memory per foreign key
 * per schema written (writes through 3 keys: 127 kB per schema with them,
 * 79 kB without; bench/README.md, "Many tenants"), and 4 of the 49
 * triggers per tenant (490,000 at 10,000 tenants). These five carried
 * nothing the application does not already check before it writes: a
 * session's plio and experiment are looked up live first, answers are
 * made from the plio's own items in the same statement, an event names a
 * session its user owns, and rows are only ever soft-deleted (the cascades
 * never fired). The keys between content tables (items, questions, plios,
 * videos, images, tags, experiments), written rarely by creators, stay.
 */
export const lighterLearningTables: Migration = {
  name: '0005-lighter-learning-tables',
  sql: `
alter table session drop constraint session_plio_id_fkey, drop constraint session_experiment_id_fkey;
alter table session_answer drop constraint session_answer_session_id_fkey, drop constraint session_answer_item_id_fkey;
alter table event drop constraint event_session_id_fkey;
`,
};
