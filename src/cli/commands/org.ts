import { Command } from 'commander';
import type { Organization, OrganizationListing } from '../../tenancy/organizations.ts';
import { printJson, withSession } from '../session.ts';
import { addPortabilityCommands } from './portability.ts';
import { formatBytes, printTable } from '../table.ts';

export function orgCommand(): Command {
  const org = new Command('org').description('organizations (tenants) and their schemas');

  org
    .command('create')
    .description('create an organization with its schema and tables; prints the row as JSON')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--shortcode <shortcode>', 'unique code, sent by the web client in the Organization header')
    .option('--schema-name <schema>', 'schema name (default: 10 random lowercase letters)')
    .option('--domain <domain>', 'primary domain, e.g. plio.in/avantifellows')
    .action(async (options: { name: string; shortcode: string; schemaName?: string; domain?: string }) => {
      await withSession(async ({ tenancy }) => {
        printJson(organizationJson(await tenancy.organizations.create(options)));
      });
    });

  org
    .command('list')
    .description('organizations with schema, domains, schema version and size')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      await withSession(async ({ tenancy }) => {
        const rows = await tenancy.organizations.list();
        if (options.json) return printJson(rows.map(listingJson));
        printTable(
          ['SHORTCODE', 'NAME', 'SCHEMA', 'DOMAINS', 'VERSION', 'SIZE'],
          rows.map((o) => [
            o.shortcode,
            o.name,
            o.schemaName,
            o.domains.join(', ') || '-',
            o.schemaVersion === null ? '-' : String(o.schemaVersion),
            o.sizeBytes === null ? '-' : formatBytes(o.sizeBytes),
          ]),
        );
      });
    });

  org
    .command('delete')
    .description('soft-delete an organization (its shortcode and domains are released)')
    .argument('<shortcode>')
    .option('--drop-schema', 'also drop its schema and all its data')
    .action(async (shortcode: string, options: { dropSchema?: boolean }) => {
      await withSession(async ({ tenancy }) => {
        const deleted = await tenancy.organizations.delete(shortcode, options);
        process.stdout.write(
          `deleted organization ${deleted.shortcode}${options.dropSchema ? ` and dropped schema ${deleted.schemaName}` : ` (schema ${deleted.schemaName} kept)`}\n`,
        );
      });
    });

  org
    .command('rename-schema')
    .description("rename an organization's schema")
    .argument('<shortcode>')
    .argument('<new-schema-name>')
    .action(async (shortcode: string, newName: string) => {
      await withSession(async ({ tenancy }) => {
        printJson(organizationJson(await tenancy.organizations.renameSchema(shortcode, newName)));
      });
    });

  org
    .command('clone')
    .description("copy an organization's schema and data into a new organization")
    .argument('<shortcode>', 'the organization to copy')
    .requiredOption('--shortcode <shortcode>', 'shortcode of the new organization')
    .requiredOption('--name <name>', 'name of the new organization')
    .option('--schema-name <schema>', 'schema name of the new organization')
    .action(async (source: string, options: { shortcode: string; name: string; schemaName?: string }) => {
      await withSession(async ({ tenancy }) => {
        printJson(organizationJson(await tenancy.organizations.clone(source, options)));
      });
    });

  addPortabilityCommands(org);
  return org;
}

function organizationJson(o: Organization) {
  return {
    id: o.id,
    name: o.name,
    shortcode: o.shortcode,
    schema_name: o.schemaName,
    api_key: o.apiKey,
    config: o.config,
    schema_version: o.schemaVersion,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    deleted_at: o.deletedAt,
  };
}

function listingJson(o: OrganizationListing) {
  return { ...organizationJson(o), domains: o.domains, size_bytes: o.sizeBytes };
}
