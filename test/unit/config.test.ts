import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.port, 8001);
    assert.equal(config.host, '127.0.0.1');
    assert.deepEqual(config.defaultTenant, { name: 'Plio', shortcode: 'plio', domain: 'localhost' });
    assert.equal(config.sms.driver, 'log');
    assert.equal(config.corsOrigins, undefined);
    assert.equal(config.publicUrl, 'http://127.0.0.1:8001');
    assert.deepEqual(config.databaseTimeouts, { connectMs: 5000, statementMs: 10000, acquireMs: 5000 });
    assert.equal(config.cacheMemoryBytes, 256 * 1024 * 1024);
    assert.equal(loadConfig({ CACHE_MEMORY_MB: '64' }).cacheMemoryBytes, 64 * 1024 * 1024);
  });

  it('reads the database timeouts, 0 meaning no bound', () => {
    const config = loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '250', DATABASE_STATEMENT_TIMEOUT_MS: '0', DATABASE_ACQUIRE_TIMEOUT_MS: '1500' });
    assert.deepEqual(config.databaseTimeouts, { connectMs: 250, statementMs: 0, acquireMs: 1500 });
  });

  it('builds URLs from PUBLIC_URL, by default http://HOST:PORT', () => {
    assert.equal(loadConfig({ HOST: '0.0.0.0', PORT: '9000' }).publicUrl, 'http://0.0.0.0:9000');
    assert.equal(loadConfig({ HOST: '::1' }).publicUrl, 'http://[::1]:8001');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://plio.example.org/' }).publicUrl, 'https://plio.example.org');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://example.org/plio/' }).publicUrl, 'https://example.org/plio');
  });

  const bad: [Record<string, string>, string][] = [
    [{ PORT: '99999' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ DATABASE_LISTEN_URL: 'postgres://db/plio' }, 'DATABASE_LISTEN_URL'],
    [{ DATABASE_URL: 'postgres://pooler/plio', DATABASE_LISTEN_URL: 'pgbouncer' }, 'DATABASE_LISTEN_URL'],
    [{ SMS_DRIVER: 'pigeon' }, 'SMS_DRIVER'],
    [{ SMS_DRIVER: 'outbox' }, 'SMS_OUTBOX_FILE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ CACHE_MEMORY_MB: '0' }, 'CACHE_MEMORY_MB'],
    [{ CACHE_MEMORY_MB: 'lots' }, 'CACHE_MEMORY_MB'],
    [{ SUPERUSER_EMAIL: 'a@b.c' }, 'SUPERUSER_PASSWORD'],
    [{ DEFAULT_OAUTH2_CLIENT_SECRET: 's' }, 'DEFAULT_OAUTH2_CLIENT_ID'],
    [{ GOOGLE_TOKENINFO_URL: 'ftp://x' }, 'GOOGLE_TOKENINFO_URL'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: '5s' }, 'DATABASE_CONNECT_TIMEOUT_MS'],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '-1' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_ACQUIRE_TIMEOUT_MS: '1.5' }, 'DATABASE_ACQUIRE_TIMEOUT_MS'],
    [{ DATABASE_ACQUIRE_TIMEOUT_MS: '99999999999' }, 'DATABASE_ACQUIRE_TIMEOUT_MS'],
    [{ SECRET_KEY: 'short' }, 'SECRET_KEY'],
    [{ DATABASE_URL: 'postgres://db/plio', NODE_ENV: 'production' }, 'SECRET_KEY'],
    [{ RATE_LIMIT_PASSWORD_ACCOUNT: '10' }, 'RATE_LIMIT_PASSWORD_ACCOUNT'],
    [{ RATE_LIMIT_OTP_MOBILE: '0/15m' }, 'RATE_LIMIT_OTP_MOBILE'],
    [{ RATE_LIMIT_FAILED_LOGINS_ADDRESS: '5/15d' }, 'RATE_LIMIT_FAILED_LOGINS_ADDRESS'],
    [{ PHONE_DEFAULT_REGION: 'XX' }, 'PHONE_DEFAULT_REGION'],
    [{ TRUST_PROXY: 'the proxy' }, 'TRUST_PROXY'],
    [{ PUBLIC_URL: 'plio.example.org' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://plio.example.org' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://plio.example.org/?x=1' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://user:pw@plio.example.org' }, 'PUBLIC_URL'],
  ];
  for (const [env, variable] of bad) {
    it(`names ${variable} when ${JSON.stringify(env)}`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes('\n'),
      );
    });
  }

  it('has the abuse limits on by default, each configurable or off', () => {
    const defaults = loadConfig({}).rateLimits;
    assert.deepEqual(defaults.passwordAccount, { points: 10, seconds: 900 });
    assert.deepEqual(defaults.otpMobile, { points: 5, seconds: 900 });
    assert.ok(Object.values(defaults).every((rule) => rule !== undefined));
    const tuned = loadConfig({ RATE_LIMIT_OTP_ADDRESS: '1000/1h', RATE_LIMIT_REFRESH_ACCOUNT: 'off' }).rateLimits;
    assert.deepEqual(tuned.otpAddress, { points: 1000, seconds: 3600 });
    assert.equal(tuned.refreshAccount, undefined);
  });

  it('reads TRUST_PROXY as a flag, a hop count or addresses', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  });

  it('listens where DATABASE_LISTEN_URL says, next to a pooled DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://pooler:6432/plio', DATABASE_LISTEN_URL: 'postgres://db:5432/plio' });
    assert.equal(config.databaseListenUrl, 'postgres://db:5432/plio');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://db/plio' }).databaseListenUrl, undefined);
  });

  it('splits CORS_ORIGINS', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins, ['https://a.example', 'https://b.example']);
  });
});
