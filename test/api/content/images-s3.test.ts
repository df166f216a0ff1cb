/** Images go to S3 when a bucket is configured (here a stand-in S3 endpoint that records what it is sent). */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { createUser } from '../../support/users.ts';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(32, 1)]);

describe('images in S3', () => {
  let app: TestApp;
  let s3: Server;
  let endpoint: string;
  const received: { method: string; url: string; body: Buffer; contentType: string | undefined }[] = [];
  before(async () => {
    s3 = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ method: request.method ?? '', url: request.url ?? '', body: Buffer.concat(chunks), contentType: request.headers['content-type'] });
        response.writeHead(200, { etag: '"test"' }).end();
      });
    });
    await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(s3.address() as AddressInfo).port}`;
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    app = await startApp({ AWS_STORAGE_BUCKET_NAME: 'plio-media', AWS_REGION: 'ap-south-1', AWS_S3_ENDPOINT_URL: endpoint });
  });
  after(async () => {
    await app.close();
    await new Promise((resolve) => s3.close(resolve));
  });

  it('puts the file under <schema>/images/ in the bucket and answers its URL', async () => {
    const user = await createUser(app);
    const boundary = 's3test';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="alt_text"\r\n\r\nDiagram\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="d.jpeg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      JPEG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const created = await app.request({ method: 'POST', url: '/api/v1/images/', headers: { ...user.headers(), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    assert.equal(created.statusCode, 201, created.body);
    const put = received.find((request) => request.method === 'PUT');
    assert.ok(put, 'the file was sent to S3');
    assert.match(put.url, /^\/plio-media\/public\/images\/[a-z]{10}\.jpeg/);
    assert.deepEqual(put.body.subarray(0, JPEG.length), JPEG);
    assert.equal(put.contentType, 'image/jpeg');
    assert.equal(created.json().url, `${endpoint}${put.url.split('?')[0]}`);
    assert.equal(created.json().alt_text, 'Diagram');
  });
});
