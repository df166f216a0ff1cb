import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type { SqlExecutor } from './migration.ts';

/** The NOTIFY channel that tells other processes organizations or domains changed. */
export const TENANCY_CHANNEL = 'plio_tenancy_changed';

/**
 * In-process signal that organizations or domains changed. Other server
 * processes hear of it through {@link notifyTenancyChanged}'s NOTIFY, which
 * PostgreSQL delivers at commit.
 */
export const tenancyEvents = new EventEmitter<{ changed: [] }>();

/**
 * Queues the cross-process notification inside the writing transaction. A
 * `token` asks every directory to confirm its reload under that token (see
 * `ReloadConfirmations`).
 */
export async function notifyTenancyChanged(trx: SqlExecutor, token = ''): Promise<void> {
  await sql`select pg_notify(${TENANCY_CHANNEL}, ${token})`.execute(trx);
}
