import { Command } from 'commander';
import { sql } from 'kysely';
import { withSession } from '../session.ts';

export function schemasCommand(): Command {
  return new Command('schemas')
    .description('list the schemas (SELECT schema_name FROM information_schema.schemata) and, with --tables, their tables')
    .option('--tables', "list each non-system schema's tables, as pg_catalog.pg_tables shows them")
    .action(async (options: { tables?: boolean }) => {
      await withSession(async ({ database }) => {
        const { rows } = await sql<{ schema_name: string }>`
          select schema_name from information_schema.schemata order by schema_name`.execute(database.db);
        if (!options.tables) {
          process.stdout.write(`${rows.map((row) => row.schema_name).join('\n')}\n`);
          return;
        }
        const { rows: tables } = await sql<{ schemaname: string; tablename: string }>`
          select schemaname, tablename from pg_catalog.pg_tables
          where schemaname not in ('pg_catalog', 'information_schema') order by schemaname, tablename`.execute(database.db);
        for (const { schema_name } of rows) {
          const names = tables.filter((t) => t.schemaname === schema_name).map((t) => t.tablename);
          if (names.length === 0) continue;
          process.stdout.write(`${schema_name}\n${names.map((name) => `  ${name}`).join('\n')}\n`);
        }
      });
    });
}
