import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { zipStream } from '../../../src/analytics/report-zip.ts';
import { unzip } from '../../support/zip-archive.ts';

/** The report's zip writer on its own: what HTTP cannot show (failures and clients leaving halfway). */
describe('zipStream', () => {
  it('writes entries in order, opening each only when its turn comes', async () => {
    const opened: string[] = [];
    const entry = (name: string, text: string) => ({
      name,
      open: () => {
        opened.push(name);
        return Readable.from([text], { objectMode: false });
      },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of zipStream([entry('a.csv', 'a\n1\n'), entry('b.csv', 'b\n2\n')])) chunks.push(chunk as Buffer);
    assert.deepEqual(opened, ['a.csv', 'b.csv']);
    const files = await unzip(Buffer.concat(chunks));
    assert.equal(files.get('a.csv')?.toString(), 'a\n1\n');
    assert.equal(files.get('b.csv')?.toString(), 'b\n2\n');
  });

  it('fails when an entry fails halfway, instead of hanging or ending short', async () => {
    async function* failing() {
      yield 'header\n';
      throw new Error('the database went away');
    }
    const archive = zipStream([{ name: 'broken.csv', open: () => Readable.from(failing(), { objectMode: false }) }]);
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await assert.rejects(pipeline(archive, sink), /the database went away/);
  });

  it('closes the entry being read when the archive is closed early (the client went away)', async () => {
    let closed = false;
    async function* endless() {
      try {
        for (;;) yield 'x'.repeat(64 * 1024);
      } finally {
        closed = true; // where a database cursor is released
      }
    }
    const archive = zipStream([{ name: 'big.csv', open: () => Readable.from(endless(), { objectMode: false }) }]);
    archive.once('data', () => archive.destroy());
    await once(archive, 'close');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(closed, true);
  });
});
