import repl from 'node:repl';
import { text } from 'node:stream/consumers';
import { Command } from 'commander';
import { sql } from 'kysely';
import { credentialsChanged } from '../../accounts/credential-cache.ts';
import { withSession } from '../session.ts';

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;

export function shellCommand(): Command {
  return new Command('shell')
    .description('a REPL with the models loaded: await Organization.create({ name, shortcode }), Domain.create(...); reads a script from stdin when it is not a terminal')
    .action(async () => {
      await withSession(async ({ database, tenancy }) => {
        // credentialsChanged(db, [userId]): after changing users, memberships or
        // tokens with raw SQL, running servers forget what they remembered.
        const models = { Organization: tenancy.organizations, Domain: tenancy.domains, migrator: tenancy.migrator, db: database.db, sql, credentialsChanged };
        if (!process.stdin.isTTY) {
          // Piped input runs as one async script: a REPL would start each line
          // before the previous line's await has finished.
          const script = await text(process.stdin);
          await new AsyncFunction(...Object.keys(models), script)(...Object.values(models));
          return;
        }
        const server = repl.start({ prompt: 'plio> ', useGlobal: false });
        Object.assign(server.context, models);
        await new Promise<void>((resolve) => server.on('exit', resolve));
      });
    });
}
