import type { Migration } from '../../tenancy/migration.ts';

/**
 * On a Citus cluster, the shared tables that tenant tables reference become
 * reference tables (copied to every node), so a tenant schema can live on any
 * node and still join and point at them. A no-op without the extension.
 */
export const citusReferenceTables: Migration = {
  name: '0002-citus-reference-tables',
  sql: `
do $$
begin
  if exists (select 1 from pg_extension where extname = 'citus') then
    perform create_reference_table('public.organization');
    perform create_reference_table('public.role');
    perform create_reference_table('public."user"');
  end if;
end
$$`,
};
