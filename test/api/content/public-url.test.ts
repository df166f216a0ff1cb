/**
 * URLs the server builds come from PUBLIC_URL, never from the request's
 * `Host` header (SPEC section 5, issue 9 finding 9): `Host:
 * attacker.example` once stored an `http://attacker.example/...` image URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { createUser, type TestUser } from '../../support/users.ts';
import { temporaryMediaRoot } from './fixtures.ts';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);

describe('PUBLIC_URL', () => {
  let app: TestApp;
  let media: Awaited<ReturnType<typeof temporaryMediaRoot>>;
  let user: TestUser;
  before(async () => {
    media = await temporaryMediaRoot();
    app = await startApp({ MEDIA_ROOT: media.path, PUBLIC_URL: 'https://plio.example.org/backend/' });
    user = await createUser(app);
  });
  after(async () => {
    await app.close();
    await media.remove();
  });

  const hostile = () => ({ ...user.headers(), host: 'attacker.example', 'x-forwarded-host': 'attacker.example' });

  it('is the base of an uploaded image’s URL, whatever Host the upload came with', async () => {
    const boundary = 'publicurl';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      JPEG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const uploaded = await app.request({
      method: 'POST',
      url: '/api/v1/images/',
      headers: { ...hostile(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    assert.match(uploaded.json().url, /^https:\/\/plio\.example\.org\/backend\/media\/public\/images\/[a-z]{10}\.jpg$/);
    // and it is served where it says
    const path = new URL(uploaded.json().url).pathname.replace('/backend', '');
    assert.equal((await app.request({ method: 'GET', url: path })).statusCode, 200);
  });

  it('is the base of the plio list’s next and previous links', async () => {
    for (let i = 0; i < 6; i++) await app.request({ method: 'POST', url: '/api/v1/plios/', headers: user.headers() });
    const first = (await app.request({ method: 'GET', url: '/api/v1/plios/?ordering=name', headers: hostile() })).json();
    assert.equal(first.next, 'https://plio.example.org/backend/api/v1/plios/?ordering=name&page=2');
    const second = (await app.request({ method: 'GET', url: first.next.replace('https://plio.example.org/backend', ''), headers: hostile() })).json();
    assert.equal(second.previous, 'https://plio.example.org/backend/api/v1/plios/?ordering=name');
  });
});
