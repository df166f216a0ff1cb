import { parse } from 'csv-parse/sync';
import yauzl from 'yauzl';

/** The files of a zip archive, by name. */
export async function unzip(archive: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(archive, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          files.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return files;
}

/** A CSV file's header and its rows as objects keyed by that header. */
export function readCsv(file: Buffer | undefined): { columns: string[]; rows: Record<string, string>[] } {
  if (!file) throw new Error('no such file in the archive');
  const [columns = [], ...records] = parse(file, { relaxColumnCount: false }) as string[][];
  return { columns, rows: records.map((record) => Object.fromEntries(columns.map((column, i) => [column, record[i] ?? '']))) };
}
