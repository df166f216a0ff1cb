import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createUserEvents, type UserEvents } from '../../src/accounts/user-events.ts';
import { TEST_REDIS_URL as REDIS_URL } from '../support/redis.ts';

const log = pino({ level: 'silent' });

function heard(events: UserEvents, userId: number, ms = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`user ${userId} was not heard`)), ms);
    const stop = events.subscribe((id) => {
      if (id !== userId) return;
      clearTimeout(timer);
      stop();
      resolve(id);
    });
  });
}

describe('user change notices', () => {
  it('reach listeners in the same process without Redis', async () => {
    const events = createUserEvents(undefined, log);
    const notice = heard(events, 7);
    await events.publish(7);
    assert.equal(await notice, 7);
    await events.close();
  });

  it('reach every instance through Redis pub/sub', async () => {
    const [first, second] = [createUserEvents(REDIS_URL, log), createUserEvents(REDIS_URL, log)];
    try {
      await Promise.all([first.ready(), second.ready()]);
      const userId = randomInt(1, 2 ** 40);
      const onSecond = heard(second, userId);
      const onFirst = heard(first, userId);
      await first.publish(userId);
      assert.deepEqual(await Promise.all([onFirst, onSecond]), [userId, userId]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('stop reaching a listener once it unsubscribes', async () => {
    const events = createUserEvents(undefined, log);
    const received: number[] = [];
    const stop = events.subscribe((id) => received.push(id));
    await events.publish(1);
    stop();
    await events.publish(2);
    assert.deepEqual(received, [1]);
    await events.close();
  });
});
