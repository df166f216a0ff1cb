/** The promises of the credential cache itself, without a database. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialCache, type Credential } from '../../src/accounts/credential-cache.ts';

const inAnHour = () => new Date(Date.now() + 3_600_000);
const credential = (userId: number, tokenExpiresAt = inAnHour()): Credential => ({
  user: { id: userId, email: null, mobile: null, isSuperuser: false },
  role: 'org-view',
  tokenExpiresAt,
});

describe('the credential cache', () => {
  it('answers per token and organization', () => {
    const cache = new CredentialCache();
    cache.set('token-a', 7, credential(1), cache.stamp());
    assert.equal(cache.get('token-a', 7, new Date())?.user.id, 1);
    assert.equal(cache.get('token-a', 8, new Date()), undefined);
    assert.equal(cache.get('token-a', null, new Date()), undefined);
    assert.equal(cache.get('token-b', 7, new Date()), undefined);
    cache.close();
  });

  it('does not store what was read before a change', () => {
    const cache = new CredentialCache();
    const stamp = cache.stamp();
    cache.forget([99]); // any user's change: the read in flight may be stale
    cache.set('token', null, credential(1), stamp);
    assert.equal(cache.get('token', null, new Date()), undefined);
    cache.set('token', null, credential(1), cache.stamp());
    assert.ok(cache.get('token', null, new Date()));
    cache.close();
  });

  it("forgets the changed users' entries only, or all of them", () => {
    const cache = new CredentialCache();
    cache.set('one', null, credential(1), cache.stamp());
    cache.set('one', 5, credential(1), cache.stamp());
    cache.set('two', null, credential(2), cache.stamp());
    cache.forget([1]);
    assert.equal(cache.get('one', null, new Date()), undefined);
    assert.equal(cache.get('one', 5, new Date()), undefined);
    assert.ok(cache.get('two', null, new Date()));
    cache.forget('all');
    assert.equal(cache.get('two', null, new Date()), undefined);
    cache.close();
  });

  it('reads user ids from a notification, and forgets everything on one it cannot read', () => {
    const cache = new CredentialCache();
    cache.set('one', null, credential(1), cache.stamp());
    cache.set('two', null, credential(2), cache.stamp());
    cache.forgetFromNotification('2,3');
    assert.ok(cache.get('one', null, new Date()));
    assert.equal(cache.get('two', null, new Date()), undefined);
    cache.forgetFromNotification('garbage');
    assert.equal(cache.get('one', null, new Date()), undefined);
    cache.close();
  });

  it('stops answering for an expired token, and after its time to live', async () => {
    const cache = new CredentialCache({ ttlMs: 50 });
    const expiresAt = new Date(Date.now() + 1_000);
    cache.set('token', null, credential(1, expiresAt), cache.stamp());
    assert.ok(cache.get('token', null, new Date(expiresAt.getTime() - 1)));
    assert.equal(cache.get('token', null, expiresAt), undefined);

    cache.set('short-lived', null, credential(1), cache.stamp());
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the 50 ms time to live
    assert.equal(cache.get('short-lived', null, new Date()), undefined);
    cache.close();
  });

  it('keeps within its budget in bytes, dropping the least recently used entry first', () => {
    // an entry of these is ~410 bytes: room for two
    const cache = new CredentialCache({ maxBytes: 1000 });
    cache.set('first', null, credential(1), cache.stamp());
    cache.set('second', null, credential(2), cache.stamp());
    assert.ok(cache.get('first', null, new Date())); // now the most recently used
    cache.set('third', null, credential(3), cache.stamp());
    assert.equal(cache.get('second', null, new Date()), undefined);
    assert.ok(cache.get('first', null, new Date()));
    assert.ok(cache.get('third', null, new Date()));
    assert.equal(cache.size, 2);
    // an evicted entry leaves no trace in the per-user index: forgetting its user touches nothing else
    cache.forget([2]);
    assert.ok(cache.get('first', null, new Date()));
    cache.close();
  });
});
