import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import type { Organization } from '../../../src/tenancy/organizations.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { createUser, type TestUser } from '../../support/users.ts';

/** The next message on a socket, parsed; fails after `ms`. */
function nextMessage(socket: WebSocket, ms = 5000): Promise<{ user: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within the time limit')), ms);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(data)));
    });
  });
}

describe('the live user socket /api/v1/users/<id> (tests/integration/misc/test_websocket.py)', () => {
  let app: TestApp;
  let org: Organization;
  let learner: TestUser;
  let stranger: TestUser;
  let superuser: TestUser;
  let orgViewRole: number;
  before(async () => {
    app = await startApp();
    org = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    learner = await createUser(app, { email: 'learner@example.org' });
    stranger = await createUser(app);
    superuser = await createUser(app, { isSuperuser: true });
    orgViewRole = (await app.context.db.selectFrom('public.role').select('id').where('name', '=', 'org-view').executeTakeFirstOrThrow()).id;
  });
  after(() => app.close());

  const connect = (path: string, headers: Record<string, string> = {}) => app.app.injectWS(path, { headers });

  it('pushes the user when a membership is added and when it is removed (token in the query)', async () => {
    const socket = await connect(`/api/v1/users/${learner.id}?token=${learner.accessToken}`);
    try {
      const added = nextMessage(socket);
      const response = await app.request({
        method: 'POST',
        url: '/api/v1/organization-users/',
        headers: superuser.headers(),
        payload: { user: learner.id, organization: org.id, role: orgViewRole },
      });
      assert.equal(response.statusCode, 201);
      const message = await added;
      assert.equal(message.user.id, learner.id);
      assert.equal(message.user.email, 'learner@example.org');
      assert.deepEqual((message.user.organizations as { id: number; role: string }[]).map((o) => [o.id, o.role]), [[org.id, 'org-view']]);

      const removed = nextMessage(socket);
      await app.request({ method: 'DELETE', url: `/api/v1/organization-users/${response.json().id}/`, headers: superuser.headers() });
      assert.deepEqual((await removed).user.organizations, []);
    } finally {
      socket.terminate();
    }
  });

  it('accepts the token in an Authorization header, and pushes nothing about other users', async () => {
    const socket = await connect(`/api/v1/users/${learner.id}`, { authorization: `Bearer ${learner.accessToken}` });
    try {
      const received: unknown[] = [];
      socket.on('message', (data) => received.push(JSON.parse(String(data))));
      await app.request({
        method: 'POST',
        url: '/api/v1/organization-users/',
        headers: superuser.headers(),
        payload: { user: stranger.id, organization: org.id, role: orgViewRole },
      });
      const own = nextMessage(socket);
      await app.request({ method: 'PATCH', url: `/api/v1/users/${learner.id}/`, headers: learner.headers(), payload: { first_name: 'Lea' } });
      assert.equal((await own).user.first_name, 'Lea');
      assert.equal(received.length, 1);
    } finally {
      socket.terminate();
    }
  });

  it("refuses another user's token (403), a missing or unknown token (401)", async () => {
    await assert.rejects(connect(`/api/v1/users/${learner.id}?token=${stranger.accessToken}`), /Unexpected server response: 403/);
    await assert.rejects(connect(`/api/v1/users/${learner.id}?token=${superuser.accessToken}`), /Unexpected server response: 403/);
    await assert.rejects(connect(`/api/v1/users/${learner.id}`), /Unexpected server response: 401/);
    await assert.rejects(connect(`/api/v1/users/${learner.id}?token=nonsense`), /Unexpected server response: 401/);
    await assert.rejects(connect(`/api/v1/users/not-a-number?token=${learner.accessToken}`), /Unexpected server response: 404/);
  });

  it('still answers plain HTTP on the same path', async () => {
    const response = await app.request({ method: 'GET', url: `/api/v1/users/${learner.id}`, headers: learner.headers() });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().id, learner.id);
  });
});
