import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { PlioError } from '../errors.ts';
import { dbCommand } from './commands/db.ts';
import { domainCommand } from './commands/domain.ts';
import { migrateCommand } from './commands/migrate.ts';
import { orgCommand } from './commands/org.ts';
import { schemasCommand } from './commands/schemas.ts';
import { serveCommand } from './commands/serve.ts';
import { shellCommand } from './commands/shell.ts';
import { userCommand } from './commands/user.ts';

const program = new Command('plio')
  .description('Plio backend: server and operator commands')
  .showHelpAfterError()
  .exitOverride();

program.addCommand(serveCommand());
program.addCommand(migrateCommand());
program.addCommand(orgCommand());
program.addCommand(domainCommand());
program.addCommand(dbCommand());
program.addCommand(schemasCommand());
program.addCommand(shellCommand());
program.addCommand(userCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportFailure(error);
}

/** One clear line for mistakes an operator can fix; the stack only for our bugs. */
function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode;
  if (error instanceof PlioError || error instanceof ConfigError) {
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}
