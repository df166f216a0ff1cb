import { Command } from 'commander';
import { openDatabase } from '../../db/database.ts';
import { migrations } from '../../migrations/index.ts';
import { copyInstallation } from '../../portability/db-copy.ts';
import { progressBar } from '../progress.ts';
import { withSession } from '../session.ts';

export function dbCommand(): Command {
  const db = new Command('db').description('the installation as a whole');

  db.command('copy')
    .description('copy the whole installation (public and every tenant) into another, empty PostgreSQL database; resumable')
    .requiredOption('--to <url>', 'the target, e.g. postgres://user@host:5432/plio')
    .action(async (options: { to: string }) => {
      // The source is only read: no preparing migration runs on it.
      await withSession(
        async ({ database: source }) => {
          const target = await openDatabase({ databaseUrl: options.to, dataDir: '' }, { poolSize: 2 });
          const progress = progressBar('copying', 'schemas');
          try {
            const started = Date.now();
            const result = await copyInstallation(source, target, { migrations, onProgress: progress.update });
            progress.stop();
            const seconds = ((Date.now() - started) / 1000).toFixed(1);
            process.stdout.write(
              `copied ${source.description} to ${target.description}: ${result.schemas} schemas` +
                `${result.resumed > 0 ? ` (${result.resumed} already copied by an earlier run)` : ''}, ${result.rows} rows (${seconds}s)\n`,
            );
          } finally {
            progress.stop();
            await target.close();
          }
        },
        { prepare: false },
      );
    });

  return db;
}
