/** The two caches keep the same promises: a load that raced with a write is never cached. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { cacheKey, type Cache } from '../../src/cache/cache.ts';
import { MemoryCache } from '../../src/cache/memory-cache.ts';
import { RedisCache } from '../../src/cache/redis-cache.ts';
import { TEST_REDIS_URL } from '../support/redis.ts';

const caches: [string, () => Cache][] = [
  ['in memory', () => new MemoryCache({ maxBytes: 1024 * 1024 })],
  ['in Redis', () => new RedisCache(TEST_REDIS_URL)],
];

for (const [name, make] of caches) {
  describe(`the cache ${name}`, () => {
    const cache = make();
    const key = (id: string) => cacheKey(`s_${randomBytes(4).toString('hex')}`, 'plio', id);
    after(() => cache.close());

    it('stores, answers copies and forgets', async () => {
      const k = key('a');
      assert.equal(await cache.get(k), undefined);
      await cache.set(k, { name: 'x', items: [1] });
      const read = await cache.get<{ name: string; items: number[] }>(k);
      assert.deepEqual(read, { name: 'x', items: [1] });
      read!.items.push(2);
      assert.deepEqual(await cache.get(k), { name: 'x', items: [1] });
      await cache.invalidate([k]);
      assert.equal(await cache.get(k), undefined);
    });

    it('drops a value loaded before an invalidation', async () => {
      const k = key('b');
      const version = await cache.version(k);
      // a write lands (and invalidates) while the stale value is being loaded
      await cache.invalidate([k]);
      await cache.set(k, 'stale', version);
      assert.equal(await cache.get(k), undefined);
      await cache.set(k, 'fresh', await cache.version(k));
      assert.equal(await cache.get(k), 'fresh');
    });

    it('keeps keys of two schemas apart', async () => {
      assert.notEqual(cacheKey('public', 'plio', 'u'), cacheKey('org_a', 'plio', 'u'));
      const [a, b] = [cacheKey(`a_${randomBytes(3).toString('hex')}`, 'plio', 'same'), cacheKey(`b_${randomBytes(3).toString('hex')}`, 'plio', 'same')];
      await cache.set(a, 'A');
      await cache.set(b, 'B');
      await cache.invalidate([a]);
      assert.equal(await cache.get(a), undefined);
      assert.equal(await cache.get(b), 'B');
    });
  });
}

describe('the cache in memory, cleared when invalidations may have been missed', () => {
  const cache = new MemoryCache({ maxBytes: 1024 * 1024 });
  after(() => cache.close());

  it('forgets every entry and refuses values loaded before', async () => {
    const [kept, loading] = [cacheKey('s', 'plio', 'kept'), cacheKey('s', 'plio', 'loading')];
    await cache.set(kept, 'kept');
    const version = await cache.version(loading);
    cache.clear();
    assert.equal(await cache.get(kept), undefined);
    // a load that began before the gap may hold what a missed invalidation dropped
    await cache.set(loading, 'loaded before', version);
    assert.equal(await cache.get(loading), undefined);
    await cache.set(loading, 'loaded after', await cache.version(loading));
    assert.equal(await cache.get(loading), 'loaded after');
  });
});

describe('the cache in memory, bounded by bytes', () => {
  it('drops the least recently used entries once the values exceed the budget', async () => {
    // ~1 kB values, a budget of about four of them
    const cache = new MemoryCache({ maxBytes: 4 * 1300 });
    const value = 'x'.repeat(1000);
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((id) => cacheKey('s', 'plio', id)) as [string, string, string, string, string];
    for (const k of [a, b, c, d]) await cache.set(k, value);
    assert.equal(await cache.get(a), value); // a is now the most recently used
    await cache.set(e, value);
    assert.equal(await cache.get(b), undefined, 'the least recently used entry went first');
    for (const k of [a, c, d, e]) assert.equal(await cache.get(k), value);
    assert.ok(cache.sizeBytes <= 4 * 1300);
    await cache.close();
  });
});
