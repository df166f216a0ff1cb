import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createAbuseLimits } from '../../src/accounts/abuse-limits.ts';
import { loadConfig } from '../../src/config.ts';
import { PlioError } from '../../src/errors.ts';

describe('abuse limits when Redis is unreachable', () => {
  it('go on counting in process memory, and refuse with the usual 429', async () => {
    // Port 18201 is this project's test range, where nothing listens.
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:18201', RATE_LIMIT_OTP_MOBILE: '2/1m' });
    const limits = await createAbuseLimits(config, pino({ level: 'silent' }));
    try {
      const started = Date.now();
      await limits.otpMobile.take('+919876543210');
      await limits.otpMobile.take('+919876543210');
      await assert.rejects(limits.otpMobile.take('+919876543210'), (error: unknown) => error instanceof PlioError && error.status === 429 && error.retryAfter! > 0);
      await limits.otpMobile.take('+919876543211');
      assert.ok(Date.now() - started < 5000, 'no request waits for Redis');
    } finally {
      await limits.close();
    }
  });
});
