/**
 * The operator console in real Chromium, against our own server in this
 * process (port 18710; the embedded database unless the runner says
 * otherwise): sign in, create an organization
 * with a domain, add a member, run a pending migration and watch it finish,
 * approve a waitlisted user, and be refused as a non-superuser.
 *
 * With CONSOLE_SCREENSHOTS=docs/console it also saves a picture of every
 * page there, for docs/console.md (`npm run docs:console`).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { createUser } from '../../src/accounts/users.ts';
import { migrations } from '../../src/migrations/index.ts';
import { quoteIdent } from '../../src/tenancy/schema-name.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { launchBrowser, withPage } from '../support/browser.ts';

const PORT = 18710;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: 'operator@example.org', password: 'console-pass-1' };
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;

/** A harmless last tenant migration, so a schema can be put one version behind. */
const probe = { name: '9000-console-probe', sql: 'create table console_probe (id int primary key)' };

async function picture(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, email = ADMIN.email, password = ADMIN.password): Promise<void> {
  await page.goto(`${BASE}/console/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('operator console in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    app = await startApp(
      { SUPERUSER_EMAIL: ADMIN.email, SUPERUSER_PASSWORD: ADMIN.password },
      { migrationSets: { shared: migrations.shared, tenant: [...migrations.tenant, probe] } },
    );
    await app.app.listen({ host: '127.0.0.1', port: PORT });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const watch = (page: Page) => {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // Refusals are pages with a 401 or 403 status, which Chromium also reports as a failed load.
      if (message.type() === 'error' && !/^Failed to load resource: .* (401|403)/.test(message.text())) pageErrors.push(`${page.url()}: ${message.text()}`);
    });
  };

  it('signs in, creates an organization with a domain and adds a member', async () => {
    await createUser(app.context.db, { email: 'member@example.org', firstName: 'Mira' });
    await withPage(browser, 'console-organization', async (page) => {
      watch(page);
      await page.goto(`${BASE}/console/`);
      await assert.doesNotReject(page.getByRole('heading', { name: 'Sign in' }).waitFor());
      await picture(page, 'sign-in');
      await signIn(page);
      await page.getByRole('heading', { name: 'Organizations' }).waitFor();

      await page.getByLabel('Name').fill('Avanti Fellows');
      await page.getByLabel('Shortcode').fill('af');
      await page.getByLabel('Domain').fill('plio.in/avantifellows');
      await page.getByRole('button', { name: 'Create organization' }).click();
      await page.getByRole('heading', { name: /Avanti Fellows/ }).waitFor();
      assert.match(await page.getByRole('status').innerText(), /Created Avanti Fellows \(af\) with schema [a-z]+ and domain plio\.in\/avantifellows/);
      assert.ok(await page.getByText('plio.in/avantifellows', { exact: true }).isVisible());
      // The schema exists when the page answers.
      const organization = await app.context.tenancy.organizations.get('af');
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = ${organization.schemaName}`.execute(app.context.db);
      assert.ok(rows[0]!.n >= 12);

      await page.getByLabel("Member's email or phone").fill('member@example.org');
      await page.getByLabel('Role', { exact: true }).selectOption({ label: 'org-admin' });
      await page.getByRole('button', { name: 'Add member' }).click();
      assert.match(await page.getByRole('status').innerText(), /member@example\.org is now org-admin of Avanti Fellows/);
      assert.ok(await page.getByRole('link', { name: 'member@example.org' }).isVisible());
      await picture(page, 'organization');

      // A mistake is answered in words, and nothing changes.
      await page.getByLabel("Member's email or phone").fill('nobody@example.org');
      await page.getByRole('button', { name: 'Add member' }).click();
      assert.match(await page.getByRole('alert').innerText(), /No user has the email or phone "nobody@example\.org"/);

      await page.goto(`${BASE}/console/organizations`);
      const row = page.getByRole('row', { name: /af Avanti Fellows/ });
      assert.match(await row.innerText(), /plio\.in\/avantifellows/);
      await picture(page, 'organizations');
      await page.setViewportSize({ width: 390, height: 844 });
      await picture(page, 'organizations-phone');
    });
  });

  it('runs a pending migration and shows it finish', async () => {
    const behind = await app.context.tenancy.organizations.create({ name: 'Behind School', shortcode: 'behind' });
    const schema = quoteIdent(behind.schemaName);
    await sql.raw(`drop table ${schema}.console_probe; delete from ${schema}.plio_migration where name = '${probe.name}'`).execute(app.context.db);
    await sql`update public.organization set schema_version = ${migrations.tenant.length} where id = ${behind.id}`.execute(app.context.db);

    await withPage(browser, 'console-migrations', async (page) => {
      watch(page);
      await signIn(page);
      await page.goto(`${BASE}/console/migrations`);
      const table = page.getByRole('table');
      assert.match(await table.innerText(), new RegExp(`${behind.schemaName}\\s+Behind School\\s+${migrations.tenant.length}\\s+${probe.name}`));
      await picture(page, 'migrations-behind');
      await page.getByRole('button', { name: 'Run migrations' }).click();
      await page.getByText('Finished: 1 schema(s) migrated').waitFor({ timeout: 15_000 });
      assert.match(await page.locator('#migration-run').innerText(), new RegExp(`${behind.schemaName}\\s+ok\\s+${probe.name}`));
      await page.reload();
      assert.ok(await page.getByText(`Every schema is at version ${migrations.tenant.length + 1}.`).isVisible());
      await picture(page, 'migrations');
    });
    assert.equal((await app.context.tenancy.organizations.get('behind')).schemaVersion, migrations.tenant.length + 1);
  });

  it('approves a waitlisted user', async () => {
    const waiting = await createUser(app.context.db, { email: 'waiting@example.org' });
    await app.context.db.updateTable('public.user').set({ status: 'waitlist' }).where('id', '=', waiting.id).execute();
    await withPage(browser, 'console-users', async (page) => {
      watch(page);
      await signIn(page);
      await page.goto(`${BASE}/console/users`);
      await page.getByLabel('Search users').fill('waiting@');
      await page.getByRole('button', { name: 'Search' }).click();
      await picture(page, 'users');
      await page.getByRole('link', { name: 'waiting@example.org' }).click();
      assert.equal(await page.locator('#user-status').innerText(), 'waitlist');
      await page.getByRole('button', { name: 'Approve' }).click();
      assert.match(await page.getByRole('status').innerText(), /waiting@example\.org is approved/);
      assert.equal(await page.locator('#user-status').innerText(), 'approved');
      await picture(page, 'user');
    });
    const row = await app.context.db.selectFrom('public.user').select('status').where('id', '=', waiting.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'approved');
  });

  it('shows health', async () => {
    await withPage(browser, 'console-health', async (page) => {
      watch(page);
      await signIn(page);
      await page.goto(`${BASE}/console/health`);
      assert.match(await page.getByRole('heading', { name: /Database/ }).innerText(), /ok/);
      assert.ok(await page.getByText(app.context.database.description, { exact: true }).isVisible());
      await picture(page, 'health');
    });
  });

  it('refuses a non-superuser, and a wrong password, in words', async () => {
    await createUser(app.context.db, { email: 'creator@example.org', password: 'creator-pass-1' });
    await withPage(browser, 'console-refused', async (page, context) => {
      watch(page);
      await signIn(page, 'creator@example.org', 'creator-pass-1');
      assert.match(await page.getByRole('alert').innerText(), /The console is for superusers only/);
      assert.deepEqual((await context.cookies()).filter((c) => c.name === 'plio_console'), []);
      await picture(page, 'refused');
      await signIn(page, ADMIN.email, 'wrong password');
      assert.match(await page.getByRole('alert').innerText(), /The email or password is not right/);
      // Without a session, every page sends the visitor to sign in.
      await page.goto(`${BASE}/console/users`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  it('ends the session when the user signs out or their tokens are revoked', async () => {
    await withPage(browser, 'console-session', async (page, context) => {
      watch(page);
      await signIn(page);
      const cookie = (await context.cookies()).find((c) => c.name === 'plio_console');
      assert.ok(cookie?.httpOnly);
      assert.equal(cookie?.sameSite, 'Strict');
      // Revoking the user's tokens (as deleting them from the token table does) ends the console session.
      const admin = await app.context.db.selectFrom('public.user').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
      await app.context.db.deleteFrom('public.oauth_access_token').where('user_id', '=', admin.id).execute();
      await page.goto(`${BASE}/console/organizations`);
      assert.match(await page.getByRole('alert').innerText(), /Your session has ended/);
      await signIn(page);
      await page.getByRole('button', { name: 'Sign out' }).click();
      assert.match(await page.getByRole('status').innerText(), /You are signed out/);
      await page.goto(`${BASE}/console/organizations`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  it('had no JavaScript errors on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
