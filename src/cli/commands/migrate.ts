import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import type { SchemaResult } from '../../tenancy/migrator.ts';
import { withSession } from '../session.ts';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('bring every schema (or the chosen ones) to the latest migration')
    .option('--shared', 'only the shared tables in public')
    .option('--tenants', 'only the tenant tables, in public and every organization schema')
    .option('--schema <schema>', 'only this schema (repeatable)', (value: string, all: string[] = []) => [...all, value])
    .option('--concurrency <n>', 'schemas migrated at once', positiveInteger, 4)
    .action(async (options: { shared?: boolean; tenants?: boolean; schema?: string[]; concurrency: number }) => {
      const both = !options.shared && !options.tenants;
      await withSession(
        async ({ tenancy }) => {
          const started = Date.now();
          const progress = progressDisplay();
          const report = await tenancy.migrator.run({
            shared: both || options.shared,
            tenants: both || options.tenants,
            schemas: options.schema,
            concurrency: options.concurrency,
            onProgress: progress.update,
          });
          progress.stop();
          for (const result of report.results) process.stdout.write(`${describe(result)}\n`);
          const seconds = ((Date.now() - started) / 1000).toFixed(2);
          process.stdout.write(
            `${report.results.length - report.failed.length} migrated, ${report.failed.length} failed, ${report.upToDate} up to date (${seconds}s)\n`,
          );
          if (report.failed.length > 0) {
            process.stderr.write(`error: migration failed in ${report.failed.map((f) => f.schema).join(', ')}; fix and rerun to resume\n`);
            process.exitCode = 1;
          }
        },
        { prepare: false },
      );
    });
}

function describe(result: SchemaResult): string {
  if (result.error) return `FAILED  ${result.schema}: ${result.error}`;
  return `ok      ${result.schema}: ${result.applied.join(', ') || 'nothing to apply'}`;
}

/** A progress bar on a terminal; otherwise a line every tenth of the way. */
function progressDisplay() {
  let bar: cliProgress.SingleBar | undefined;
  let lastTenth = -1;
  return {
    update(done: number, total: number, result: SchemaResult) {
      if (process.stderr.isTTY) {
        bar ??= new cliProgress.SingleBar(
          { format: 'migrating {bar} {value}/{total} schemas | {schema}', stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        if (done === 1) bar.start(total, 0, { schema: '' });
        bar.update(done, { schema: result.schema });
        return;
      }
      const tenth = Math.floor((done * 10) / total);
      if (total >= 20 && tenth !== lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`migrating: ${done}/${total} schemas\n`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}
