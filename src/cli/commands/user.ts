import { Command } from 'commander';
import { seedRoles } from '../../accounts/roles.ts';
import { ensureSuperuser } from '../../accounts/users.ts';
import { errors } from '../../errors.ts';
import { printJson, withSession } from '../session.ts';

export function userCommand(): Command {
  const user = new Command('user').description('user accounts');
  user
    .command('create-superuser')
    .description('create a superuser, or promote an existing user and set the password (idempotent)')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--password <password>', 'sign-in password')
    .action(async (options: { email: string; password: string }) => {
      if (!/^[^@\s]+@[^@\s]+$/.test(options.email)) throw errors.badRequest(`invalid email "${options.email}"`);
      if (options.password === '') throw errors.badRequest('the password may not be empty');
      await withSession(async ({ database }) => {
        await seedRoles(database.db);
        const { user: row, created } = await ensureSuperuser(database.db, options.email, options.password);
        printJson({ id: row.id, email: row.email, is_superuser: row.is_superuser, created });
      });
    });
  return user;
}
