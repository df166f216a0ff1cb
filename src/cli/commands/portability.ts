import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { createImageStorage } from '../../content/image-storage.ts';
import { migrations } from '../../migrations/index.ts';
import { exportOrganization, type PortabilityContext } from '../../portability/export.ts';
import { importOrganization } from '../../portability/import.ts';
import { progressBar } from '../progress.ts';
import { withSession, type CommandSession } from '../session.ts';
import { formatBytes } from '../table.ts';

/** `plio org export` and `plio org import`, added to the `org` command group. */
export function addPortabilityCommands(org: Command): void {
  org
    .command('export')
    .description('write an organization (rows, members, media) to one archive file')
    .argument('<shortcode>')
    .requiredOption('--out <file>', 'the archive to write (.plio.tar.gz by convention)')
    .action(async (shortcode: string, options: { out: string }) => {
      await withSession(async (session) => {
        // Written beside the target and renamed at the end: a failed export leaves no half file.
        const partial = `${options.out}.partial`;
        const out = createWriteStream(partial);
        await once(out, 'open');
        const progress = progressBar('exporting', 'rows');
        try {
          const manifest = await exportOrganization(portability(session), shortcode, out, {
            onProgress: ({ done, total, step }) => progress.update(done, total, step),
          });
          progress.stop();
          renameSync(partial, options.out);
          const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
          const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
          process.stdout.write(
            `exported ${manifest.organization.shortcode} to ${options.out}: ${rows} rows in ${manifest.tables.length} tables, ` +
              `${manifest.counts.users} users, ${manifest.counts.memberships} memberships, ${manifest.media.length} media files ` +
              `(${formatBytes(bytes)} before compression), schema version ${manifest.schema_version}\n`,
          );
        } catch (error) {
          progress.stop();
          out.destroy();
          rmSync(partial, { force: true });
          throw error;
        }
      });
    });

  org
    .command('import')
    .description('create an organization from an archive (one transaction), or replace one with --replace')
    .argument('<file>')
    .option('--shortcode <shortcode>', "the new organization's shortcode (default: the archive's)")
    .option('--name <name>', "the new organization's name (default: the archive's)")
    .option('--replace', "swap the data of the organization that has the shortcode for the archive's")
    .action(async (file: string, options: { shortcode?: string; name?: string; replace?: boolean }) => {
      await withSession(async (session) => {
        const progress = progressBar('importing', 'rows');
        try {
          const result = await importOrganization(portability(session), () => createReadStream(file), {
            ...options,
            onProgress: ({ done, total, step }) => progress.update(done, total, step),
          });
          progress.stop();
          const o = result.organization;
          process.stdout.write(
            `${result.replaced ? 'replaced the data of' : 'imported'} ${o.shortcode} (schema ${o.schemaName}, version ${o.schemaVersion}): ` +
              `${result.rows} rows, ${result.users.matched} users matched, ${result.users.created} created, ${result.media} media files\n`,
          );
          if (result.skippedDomains.length > 0) {
            process.stderr.write(`warning: domain(s) ${result.skippedDomains.join(', ')} already belong to another organization; left out\n`);
          }
        } finally {
          progress.stop();
        }
      });
    });
}

function portability({ database, config }: CommandSession): PortabilityContext {
  return { database, storage: createImageStorage(config), migrations };
}
