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
    [{ SUPERUSER_EMAIL: 'a@b.c' }, 'SUPERUSER_PASSWORD'],
    [{ DEFAULT_OAUTH2_CLIENT_SECRET: 's' }, 'DEFAULT_OAUTH2_CLIENT_ID'],
    [{ GOOGLE_TOKENINFO_URL: 'ftp://x' }, 'GOOGLE_TOKENINFO_URL'],
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

  it('listens where DATABASE_LISTEN_URL says, next to a pooled DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://pooler:6432/plio', DATABASE_LISTEN_URL: 'postgres://db:5432/plio' });
    assert.equal(config.databaseListenUrl, 'postgres://db:5432/plio');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://db/plio' }).databaseListenUrl, undefined);
  });

  it('splits CORS_ORIGINS', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins, ['https://a.example', 'https://b.example']);
  });
});
