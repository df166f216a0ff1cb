import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Migrator, SchemaResult } from '../tenancy/migrator.ts';

export interface MigrationRun {
  readonly id: string;
  readonly startedAt: Date;
  finishedAt?: Date;
  /** Schemas to migrate; known once the run has planned (`undefined` before). */
  total?: number;
  done: number;
  results: SchemaResult[];
  /** Set when the run itself stopped (the shared set failed, the database went away). */
  error?: string;
}

/**
 * Migration runs started from the console: at most one at a time in this
 * process (a second click joins the running one), progress kept in memory for
 * the page to poll. Two processes may still both run: the migrator's
 * per-schema advisory locks keep them from interleaving on a schema.
 */
export class MigrationRuns {
  #current: MigrationRun | undefined;
  #previous: MigrationRun | undefined;

  constructor(
    private readonly migrator: Migrator,
    private readonly log: Logger,
  ) {}

  /** The running run, or a new one. */
  start(): MigrationRun {
    if (this.#current && !this.#current.finishedAt) return this.#current;
    const run: MigrationRun = { id: randomUUID(), startedAt: new Date(), done: 0, results: [] };
    this.#previous = this.#current;
    this.#current = run;
    void this.migrator
      .run({
        onProgress: (done, total, result) => {
          run.total = total;
          run.done = done;
          run.results.push(result);
        },
      })
      .then((report) => {
        // The shared set's result comes only in the report.
        for (const result of report.results) if (!run.results.includes(result)) run.results.unshift(result);
        run.total ??= run.results.length;
      })
      .catch((error: unknown) => {
        run.error = error instanceof Error ? error.message : String(error);
        this.log.error({ err: error }, 'console migration run failed');
      })
      .finally(() => {
        run.finishedAt = new Date();
      });
    return run;
  }

  find(id: string): MigrationRun | undefined {
    return [this.#current, this.#previous].find((run) => run?.id === id);
  }

  /** The latest run, running or finished. */
  get latest(): MigrationRun | undefined {
    return this.#current;
  }
}
