import { once } from 'node:events';
import { Readable } from 'node:stream';
import { ZipArchive } from 'archiver';

/** A file of the archive; `open` is called only when its turn comes. */
export interface ZipEntry {
  readonly name: string;
  open(): Readable | Buffer;
}

/**
 * A zip archive written as it is read: each entry is opened after the
 * previous one is fully written, and read only as fast as the archive is
 * consumed, so memory stays flat whatever the size of the entries. A failing
 * entry fails the archive; a closed archive (the client went away) closes the
 * entry being read, which releases its database cursor.
 */
export function zipStream(entries: Iterable<ZipEntry>): Readable {
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const closed = new AbortController();
  let current: Readable | undefined;
  archive.once('close', () => {
    closed.abort();
    current?.destroy();
  });

  const write = async () => {
    for (const entry of entries) {
      const source = entry.open();
      if (source instanceof Readable) {
        current = source;
        source.once('error', (error) => archive.destroy(error));
      }
      const written = once(archive, 'entry', { signal: closed.signal });
      archive.append(source, { name: entry.name });
      await written;
      current = undefined;
    }
    await archive.finalize();
  };
  write().catch((error: unknown) => {
    if (!closed.signal.aborted) archive.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  return archive;
}
