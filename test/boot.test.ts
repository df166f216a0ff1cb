import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { boot } from '../src/boot.ts';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { freshDatabase } from './support/database.ts';

describe('boot', () => {
  let database: Database;
  const config = loadConfig({ DEFAULT_TENANT_NAME: 'Plio Test', DEFAULT_TENANT_SHORTCODE: 'pt', DEFAULT_TENANT_DOMAIN: 'plio.test' });
  const start = () => boot(config, { database, log: pino({ level: 'silent' }) });

  before(async () => {
    database = await freshDatabase();
  });
  after(() => database.close());

  it('migrates and creates the public tenant and its domain from DEFAULT_TENANT_*', async () => {
    const running = await start();
    const organizations = await running.context.tenancy.organizations.list();
    assert.deepEqual(
      organizations.map((o) => [o.name, o.shortcode, o.schemaName, o.domains]),
      [['Plio Test', 'pt', 'public', ['plio.test']]],
    );
    assert.equal(running.context.directory.publicTenant.shortcode, 'pt');
    await running.close();
  });

  it('is idempotent: a restart creates nothing twice', async () => {
    const first = await start();
    await first.close();
    const second = await start();
    const organizations = await second.context.tenancy.organizations.list();
    assert.equal(organizations.length, 1);
    assert.deepEqual(organizations[0]!.domains, ['plio.test']);
    assert.equal(await second.context.tenancy.migrator.pendingCount(), 0);
    await second.close();
  });

  it('boots concurrently from two processes sharing a server without duplicates', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    assert.equal((await a.context.tenancy.organizations.list()).length, 1);
    await Promise.all([a.close(), b.close()]);
  });
});
