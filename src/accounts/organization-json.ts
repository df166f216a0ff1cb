import type { Selectable } from 'kysely';
import type { OrganizationTable } from '../db/schema.ts';

export type OrganizationRow = Selectable<OrganizationTable>;

/** An organization as the API shows it; `api_key` only to those allowed to see it. */
export function organizationJson(row: OrganizationRow, showApiKey: boolean): Record<string, unknown> {
  return {
    id: row.id,
    name: row.name,
    shortcode: row.shortcode,
    schema_name: row.schema_name,
    ...(showApiKey ? { api_key: row.api_key } : {}),
    config: row.config ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
