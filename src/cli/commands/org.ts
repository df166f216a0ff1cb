import cliProgress from 'cli-progress';
import { Command } from 'commander';
import type { Organization, OrganizationListing } from '../../tenancy/organizations.ts';
import type { MoveProgress } from '../../tenancy/placement.ts';
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
        // A NODE column on a Citus cluster, where tenants live on different nodes.
        const onCluster = rows.some((o) => o.node !== null);
        printTable(
          ['SHORTCODE', 'NAME', 'SCHEMA', 'DOMAINS', 'VERSION', 'SIZE', ...(onCluster ? ['NODE'] : [])],
          rows.map((o) => [
            o.shortcode,
            o.name,
            o.schemaName,
            o.domains.join(', ') || '-',
            o.schemaVersion === null ? '-' : String(o.schemaVersion),
            o.sizeBytes === null ? '-' : formatBytes(o.sizeBytes),
            ...(onCluster ? [o.node ?? '-'] : []),
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
    .command('move')
    .description("on a Citus cluster: move an organization's schema to another worker node (citus_schema_move)")
    .argument('<shortcode>')
    .requiredOption('--node <host:port>', 'the worker to move it to')
    .action(async (shortcode: string, options: { node: string }) => {
      await withSession(async ({ tenancy }) => {
        const progress = moveProgressDisplay();
        const result = await tenancy.organizations.move(shortcode, options.node, progress.update).finally(progress.stop);
        process.stdout.write(
          result.moved ? `moved organization ${shortcode} from ${result.from} to ${result.to}\n` : `organization ${shortcode} is already on ${result.to}\n`,
        );
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
  return { ...organizationJson(o), domains: o.domains, size_bytes: o.sizeBytes, node: o.node };
}

/** A progress bar of the bytes copied on a terminal; otherwise a line every quarter of the way. */
function moveProgressDisplay() {
  let bar: cliProgress.SingleBar | undefined;
  let lastQuarter = -1;
  return {
    update({ copiedBytes, totalBytes }: MoveProgress) {
      const done = Math.min(copiedBytes, totalBytes);
      if (process.stderr.isTTY) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ format: 'moving {bar} {percentage}% | {copied} of {total_size}', stream: process.stderr }, cliProgress.Presets.shades_classic);
          bar.start(totalBytes, 0, { copied: formatBytes(0), total_size: formatBytes(totalBytes) });
        }
        bar.setTotal(totalBytes);
        bar.update(done, { copied: formatBytes(done), total_size: formatBytes(totalBytes) });
        return;
      }
      const quarter = totalBytes > 0 ? Math.floor((done * 4) / totalBytes) : 0;
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        process.stderr.write(`moving: ${formatBytes(done)} of ${formatBytes(totalBytes)} copied\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
