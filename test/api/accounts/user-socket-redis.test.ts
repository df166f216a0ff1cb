import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Running } from '../../../src/boot.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { secondInstance } from '../../support/instances.ts';
import { createUser } from '../../support/users.ts';
import { TEST_REDIS_URL as REDIS_URL } from '../../support/redis.ts';


describe('the user socket across server instances (REDIS_URL)', () => {
  let first: TestApp;
  let second: Running;
  before(async () => {
    first = await startApp({ REDIS_URL });
    // A second server process on the same database, as behind a load balancer.
    second = await secondInstance(first, { REDIS_URL });
  });
  after(async () => {
    await second.close();
    await first.close();
  });

  it('pushes a membership change made on one instance to a socket held by the other', async () => {
    const org = await first.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    const learner = await createUser(first);
    const superuser = await createUser(first, { isSuperuser: true });
    const role = await first.context.db.selectFrom('public.role').select('id').where('name', '=', 'org-admin').executeTakeFirstOrThrow();
    const socket = await second.app.injectWS(`/api/v1/users/${learner.id}?token=${learner.accessToken}`);
    try {
      const message = new Promise<{ user: { id: number; organizations: { role: string }[] } }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no push reached the other instance')), 5000);
        socket.once('message', (data) => {
          clearTimeout(timer);
          resolve(JSON.parse(String(data)));
        });
      });
      const added = await first.request({
        method: 'POST',
        url: '/api/v1/organization-users/',
        headers: superuser.headers(),
        payload: { user: learner.id, organization: org.id, role: role.id },
      });
      assert.equal(added.statusCode, 201);
      const pushed = await message;
      assert.equal(pushed.user.id, learner.id);
      assert.deepEqual(pushed.user.organizations.map((o) => o.role), ['org-admin']);
    } finally {
      socket.terminate();
    }
  });
});
