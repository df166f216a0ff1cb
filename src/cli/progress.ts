import cliProgress from 'cli-progress';

export interface ProgressDisplay {
  update(done: number, total: number, step: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal (`what` names the units,
 * e.g. "rows"); silent otherwise, so scripts and logs get only the result.
 */
export function progressBar(label: string, what: string): ProgressDisplay {
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(done, total, step) {
      if (!process.stderr.isTTY) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: `${label} {bar} {value}/{total} ${what} | {step}`, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { step });
      }
      bar.setTotal(total);
      bar.update(done, { step });
    },
    stop() {
      bar?.stop();
    },
  };
}
