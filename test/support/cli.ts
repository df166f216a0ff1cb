import { spawn } from 'node:child_process';

/** What a `plio` command did. */
export interface PlioRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `plio ARGS` as an operator would (`bin/plio.js` in a new process)
 * with `env` over this process's environment. Without `DATABASE_URL` in
 * `env` the command uses the embedded database in `DATA_DIR`, whatever this
 * process has. `input` is its standard input; `onStderr` sees what it has
 * written so far each time it writes, with a way to kill it there.
 */
export function runPlio(
  args: string[],
  env: Record<string, string>,
  options: { input?: string; onStderr?: (text: string, kill: () => void) => void } = {},
): Promise<PlioRun> {
  return new Promise((resolve) => {
    const environment: Record<string, string | undefined> = { ...process.env, ...env };
    if (!env.DATABASE_URL) delete environment.DATABASE_URL;
    const child = spawn(process.execPath, ['bin/plio.js', ...args], { env: environment });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      options.onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
