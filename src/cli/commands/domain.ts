import { Command } from 'commander';
import { printJson, withSession } from '../session.ts';

export function domainCommand(): Command {
  const domain = new Command('domain').description('domains that route requests to organizations');
  domain
    .command('add')
    .description('add a domain (host, or host/first-path-segment) to an organization')
    .requiredOption('--org <shortcode>', 'the organization')
    .requiredOption('--domain <domain>', 'e.g. plio.in or plio.in/avantifellows')
    .option('--primary', "make it the organization's primary domain")
    .action(async (options: { org: string; domain: string; primary?: boolean }) => {
      await withSession(async ({ tenancy }) => {
        const added = await tenancy.domains.create({ domain: options.domain, tenant: options.org, isPrimary: options.primary });
        printJson({ id: added.id, domain: added.domain, tenant_id: added.tenantId, is_primary: added.isPrimary });
      });
    });
  return domain;
}
