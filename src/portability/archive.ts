/**
 * The organization archive: a gzip-compressed tar of JSON-lines files, media
 * files and, last, `manifest.json` (see docs/export.md). Writing streams;
 * reading yields one entry at a time, each at most a row part or a media
 * file, so memory stays flat whatever the archive's size.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { errors, PlioError } from '../errors.ts';

export const ARCHIVE_FORMAT = 'plio-organization-export';
export const ARCHIVE_FORMAT_VERSION = 1;
export const MANIFEST_PATH = 'manifest.json';

/** A row part is cut once it holds this many bytes of JSON lines. */
const PART_BYTES = 1 << 20;
/** Larger entries are refused on reading: no part or media file is this big. */
const MAX_ENTRY_BYTES = 64 << 20;

export interface ArchiveFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ArchiveTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly rows: number;
  /** Paths of its parts, in order. */
  readonly parts: readonly string[];
}

export interface ArchiveMedia {
  readonly path: string;
  /** The URL image rows give for this file in the exported schema. */
  readonly url: string;
}

export interface Manifest {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly format_version: number;
  readonly created_at: string;
  readonly organization: { readonly shortcode: string; readonly name: string; readonly schema_name: string };
  /** Tenant migrations applied in the exported schema. */
  readonly schema_version: number;
  readonly migrations: readonly string[];
  readonly counts: { readonly users: number; readonly memberships: number; readonly domains: number };
  readonly tables: readonly ArchiveTable[];
  readonly media: readonly ArchiveMedia[];
  /** Every entry but the manifest, in archive order, with its checksum. */
  readonly files: readonly ArchiveFile[];
}

export type ManifestBody = Omit<Manifest, 'format' | 'format_version' | 'created_at' | 'files'>;

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes an archive to `out`, entry by entry, waiting whenever `out` is slower. */
export class ArchiveWriter {
  readonly #pack = tar.pack();
  readonly #done: Promise<void>;
  readonly #files: ArchiveFile[] = [];
  readonly #mtime = new Date();

  constructor(out: Writable) {
    this.#done = pipeline(this.#pack as unknown as Readable, createGzip(), out);
    this.#done.catch(() => {}); // surfaced by add() and finish()
  }

  async add(path: string, data: Buffer): Promise<void> {
    const written = new Promise<void>((resolve, reject) =>
      this.#pack.entry({ name: path, size: data.length, mtime: this.#mtime, mode: 0o644 }, data, (error) => (error ? reject(error) : resolve())),
    );
    await Promise.race([written, this.#done.then(() => written)]);
    this.#files.push({ path, bytes: data.length, sha256: sha256(data) });
  }

  /** Adds `lines` as JSON-lines parts named `<prefix>/00001.jsonl`…; answers the parts' paths and the line count. */
  async addLines(prefix: string, batches: AsyncIterable<string[]>): Promise<{ parts: string[]; rows: number }> {
    const parts: string[] = [];
    let rows = 0;
    let pending: string[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const path = `${prefix}/${String(parts.length + 1).padStart(5, '0')}.jsonl`;
      await this.add(path, Buffer.from(`${pending.join('\n')}\n`));
      parts.push(path);
      pending = [];
      pendingBytes = 0;
    };
    for await (const batch of batches) {
      for (const line of batch) {
        pending.push(line);
        pendingBytes += line.length + 1;
        rows++;
        if (pendingBytes >= PART_BYTES) await flush();
      }
    }
    if (pending.length > 0) await flush();
    return { parts, rows };
  }

  /** Writes the manifest last and waits until every byte reached `out`. */
  async finish(body: ManifestBody): Promise<Manifest> {
    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      format_version: ARCHIVE_FORMAT_VERSION,
      created_at: new Date().toISOString(),
      ...body,
      files: this.#files,
    };
    await this.add(MANIFEST_PATH, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    this.#pack.finalize();
    await this.#done;
    return manifest;
  }

  /** Abandons the archive (the caller removes what reached `out`). */
  destroy(error: Error): void {
    (this.#pack as unknown as Readable).destroy(error);
  }
}

export interface ArchiveEntry {
  readonly path: string;
  readonly data: Buffer;
}

/**
 * The entries of an archive, in order, each read whole. A file that is not
 * a gzip-compressed tar, is truncated, or fails gzip's own checksum is
 * refused with the catalog's `archiveInvalid`.
 */
export async function* readEntries(source: Readable): AsyncGenerator<ArchiveEntry> {
  const extract = tar.extract();
  const feeding = pipeline(source, createGunzip(), extract as unknown as Writable);
  feeding.catch(() => {}); // its error also ends the loop below, which reports it
  try {
    for await (const entry of extract as unknown as AsyncIterable<AsyncIterable<Buffer> & { header: tar.Header }>) {
      const { name, size, type } = entry.header;
      if (type !== 'file') throw errors.archiveInvalid(`unexpected ${type} entry "${name}"`);
      if (size > MAX_ENTRY_BYTES) throw errors.archiveInvalid(`entry "${name}" is ${size} bytes, more than any Plio archive holds`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk);
      yield { path: name, data: Buffer.concat(chunks) };
    }
    await feeding;
  } catch (error) {
    if (error instanceof PlioError) throw error;
    throw errors.archiveInvalid(describeReadError(error as Error));
  } finally {
    source.destroy();
  }
}

function describeReadError(error: Error): string {
  const code = (error as { code?: string }).code;
  if (/unexpected end/i.test(error.message)) return 'the file is truncated';
  if (code === 'Z_DATA_ERROR' && /header/i.test(error.message)) return 'not a gzip-compressed file';
  if (code?.startsWith('Z_')) return `the compressed data is damaged (${error.message})`;
  return error.message;
}
