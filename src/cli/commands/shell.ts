import repl from 'node:repl';
import { Command } from 'commander';
import { sql } from 'kysely';
import { withSession } from '../session.ts';

export function shellCommand(): Command {
  return new Command('shell')
    .description('a REPL with the models loaded: await Organization.create({ name, shortcode }), Domain.create(...)')
    .action(async () => {
      await withSession(async ({ database, tenancy }) => {
        const server = repl.start({ prompt: 'plio> ', useGlobal: false });
        Object.assign(server.context, {
          Organization: tenancy.organizations,
          Domain: tenancy.domains,
          migrator: tenancy.migrator,
          db: database.db,
          sql,
        });
        await new Promise<void>((resolve) => server.on('exit', resolve));
      });
    });
}
