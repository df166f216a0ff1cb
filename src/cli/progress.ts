import cliProgress from 'cli-progress';

export interface ProgressDisplay {
  update(done: number, total: number, step: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal (`what` names the units,
 * e.g. "rows"); otherwise a line at every tenth of the way, for logs.
 */
export function progressBar(label: string, what: string): ProgressDisplay {
  let bar: cliProgress.SingleBar | undefined;
  let lastTenth = 0;
  return {
    update(done, total, step) {
      if (!process.stderr.isTTY) {
        const tenth = total > 0 ? Math.floor((done * 10) / total) : 10;
        if (tenth > lastTenth) process.stderr.write(`${label}: ${tenth * 10}% (${done}/${total} ${what})\n`);
        lastTenth = Math.max(lastTenth, tenth);
        return;
      }
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
