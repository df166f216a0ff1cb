import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../errors.ts';

/**
 * An exclusive, process-wide lock on the embedded database's directory.
 *
 * Two processes opening one PGlite directory corrupt it silently, so every
 * process takes this lock before opening it. The lock file holds the
 * holder's pid; a lock whose process is gone is stale and taken over.
 */
export class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dir: string): DataDirLock {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'plio.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(path, 'utf8').trim());
        if (isAlive(holder)) throw errors.embeddedDatabaseBusy(dir, holder);
        unlinkSync(path); // stale: its process is gone
      }
    }
    throw errors.embeddedDatabaseBusy(dir, Number(readFileSync(path, 'utf8').trim()));
  }

  release(): void {
    try {
      if (Number(readFileSync(this.path, 'utf8').trim()) === process.pid) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
