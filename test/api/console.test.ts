import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createUser } from '../../src/accounts/users.ts';
import { listOrganizationPage } from '../../src/tenancy/organization-page.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { archiveEntries, seedOrganization } from '../support/portability.ts';

const ADMIN = { email: 'console-admin@example.org', password: 'admin-pass-1' };

/** A browser's cookie jar, reduced to what these tests need. */
class Visitor {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: TestApp) {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>) {
    return this.send(method, url, form && { type: 'application/x-www-form-urlencoded', payload: new URLSearchParams(form).toString() });
  }

  private async send(method: 'GET' | 'POST', url: string, body?: { type: string; payload: string | Buffer }) {
    const response = await this.app.request({
      method,
      url,
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('; '),
        ...(body && { 'content-type': body.type }),
      },
      ...(body && { payload: body.payload }),
    });
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now())) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  /** The CSRF token of the page's forms. */
  async csrf(url: string): Promise<string> {
    const page = await this.request('GET', url);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(token, `no form token on ${url}`);
    return token;
  }

  async post(url: string, form: Record<string, string>, pageWithForm = '/console/organizations') {
    return this.request('POST', url, { _csrf: await this.csrf(pageWithForm), ...form });
  }

  /** Posts a multipart form with one archive file, as the import form does. */
  async upload(url: string, fields: Record<string, string>, archive: Buffer, pageWithForm = url.replace(/\/import$/, '')) {
    const boundary = 'console-upload';
    const parts = Object.entries({ _csrf: await this.csrf(pageWithForm), ...fields }).map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
    const payload = Buffer.concat([
      Buffer.from(parts.join('')),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="org.plio.tar.gz"\r\nContent-Type: application/gzip\r\n\r\n`),
      archive,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return this.send('POST', url, { type: `multipart/form-data; boundary=${boundary}`, payload });
  }

  /** The flash message the page shows after a redirect. */
  async flash(page: string): Promise<string> {
    return (await this.request('GET', page)).body;
  }

  async signIn(email = ADMIN.email, password = ADMIN.password) {
    return this.request('POST', '/console/sign-in', { _csrf: await this.csrf('/console/sign-in'), email, password });
  }
}

describe('operator console over HTTP', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ SUPERUSER_EMAIL: ADMIN.email, SUPERUSER_PASSWORD: ADMIN.password });
  });
  after(() => app.close());

  it('keeps its pages out of the API document', async () => {
    const document = (await app.request({ method: 'GET', url: '/api/v1/docs/json' })).json();
    assert.deepEqual(Object.keys(document.paths).filter((path) => path.startsWith('/console')), []);
  });

  it('sends visitors without a session to sign in', async () => {
    const response = await new Visitor(app).request('GET', '/console/organizations?q=x');
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/console/sign-in?next=%2Fconsole%2Forganizations%3Fq%3Dx');
  });

  it('issues an HttpOnly, SameSite=Strict session cookie to a superuser', async () => {
    const visitor = new Visitor(app);
    const response = await visitor.signIn();
    assert.equal(response.statusCode, 303);
    const cookie = (response.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string }[]).find((c) => c.name === 'plio_console');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(cookie?.path, '/console');
    assert.equal((await visitor.request('GET', '/console/organizations')).statusCode, 200);
  });

  it('refuses other users and wrong passwords with a page in words', async () => {
    await createUser(app.context.db, { email: 'plain@example.org', password: 'plain-pass-1' });
    const visitor = new Visitor(app);
    const refused = await visitor.signIn('plain@example.org', 'plain-pass-1');
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /The console is for superusers only/);
    assert.equal(visitor.cookies.has('plio_console'), false);
    const wrong = await visitor.signIn(ADMIN.email, 'not it');
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /The email or password is not right/);
  });

  it('refuses a form without its CSRF token, and changes nothing', async () => {
    const visitor = new Visitor(app);
    await visitor.signIn();
    const forged = await visitor.request('POST', '/console/organizations', { name: 'Forged', shortcode: 'forged' });
    assert.equal(forged.statusCode, 403);
    assert.match(forged.body, /Reload the page and try again/);
    assert.equal(await app.context.tenancy.organizations.findByShortcode('forged'), undefined);
  });

  it('ends the session on sign-out and when the superuser flag is taken away', async () => {
    const visitor = new Visitor(app);
    await visitor.signIn();
    await visitor.post('/console/sign-out', {});
    assert.equal((await visitor.request('GET', '/console/users')).statusCode, 303);

    const other = await createUser(app.context.db, { email: 'second-admin@example.org', password: 'second-pass-1', isSuperuser: true });
    const second = new Visitor(app);
    await second.signIn('second-admin@example.org', 'second-pass-1');
    assert.equal((await second.request('GET', '/console/users')).statusCode, 200);
    const admin = new Visitor(app);
    await admin.signIn();
    const demoted = await admin.post(`/console/users/${other.id}/superuser`, { is_superuser: 'false' }, `/console/users/${other.id}`);
    assert.equal(demoted.statusCode, 303);
    assert.equal((await second.request('GET', '/console/users')).statusCode, 303);
  });

  it('manages domains: add, make primary, remove (the next becomes primary)', async () => {
    const visitor = new Visitor(app);
    await visitor.signIn();
    await visitor.post('/console/organizations', { name: 'Domain School', shortcode: 'domains', domain: 'one.example.org' });
    const page = '/console/organizations/domains';
    await visitor.post(`${page}/domains`, { domain: 'two.example.org' }, page);
    const organization = await app.context.tenancy.organizations.get('domains');
    const list = () => app.context.tenancy.domains.list(organization);
    const two = (await list()).find((d) => d.domain === 'two.example.org')!;
    assert.equal(two.isPrimary, false);
    await visitor.post(`${page}/domains/${two.id}/primary`, {}, page);
    assert.deepEqual((await list()).map((d) => [d.domain, d.isPrimary]), [['one.example.org', false], ['two.example.org', true]]);
    await visitor.post(`${page}/domains/${two.id}/remove`, {}, page);
    assert.deepEqual((await list()).map((d) => [d.domain, d.isPrimary]), [['one.example.org', true]]);
    // A taken domain is refused in words.
    await visitor.post(`${page}/domains`, { domain: 'one.example.org' }, page);
    assert.match((await visitor.request('GET', page)).body, /domain &quot;one.example.org&quot; is already in use/);
  });

  it('deletes only with the typed shortcode, and drops the schema when asked', async () => {
    const visitor = new Visitor(app);
    await visitor.signIn();
    const doomed = await app.context.tenancy.organizations.create({ name: 'Doomed', shortcode: 'doomed' });
    const page = '/console/organizations/doomed';
    const wrong = await visitor.post(`${page}/delete`, { confirm: 'doom', drop_schema: 'on' }, page);
    assert.equal(wrong.headers.location, page);
    assert.match((await visitor.request('GET', page)).body, /Type the shortcode &quot;doomed&quot; exactly to confirm; nothing was deleted/);
    const done = await visitor.post(`${page}/delete`, { confirm: 'doomed', drop_schema: 'on' }, page);
    assert.equal(done.headers.location, '/console/organizations');
    assert.equal(await app.context.tenancy.organizations.findByShortcode('doomed'), undefined);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.schemata where schema_name = ${doomed.schemaName}`.execute(app.context.db);
    assert.equal(rows[0]!.n, 0);
  });

  it('downloads an export and imports it back from an upload: new, taken shortcode, damaged, replace, no token', async () => {
    const visitor = new Visitor(app);
    await visitor.signIn();
    await seedOrganization(app, 'portable');
    const page = '/console/organizations/portable';
    assert.match((await visitor.request('GET', page)).body, /href="\/console\/organizations\/portable\/export"/);
    const download = await visitor.request('GET', `${page}/export`);
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers['content-type'], 'application/gzip');
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="portable-\d{4}-\d{2}-\d{2}\.plio\.tar\.gz"$/);
    const archive = download.rawPayload;
    const manifest = JSON.parse((await archiveEntries(archive)).get('manifest.json')!.toString());
    assert.equal(manifest.organization.shortcode, 'portable');

    const { shortcode: workspaceShortcode } = await app.context.db.selectFrom('public.organization').select('shortcode').where('schema_name', '=', 'public').executeTakeFirstOrThrow();
    const workspace = await visitor.request('GET', `/console/organizations/${workspaceShortcode}/export`);
    assert.equal(workspace.statusCode, 400);
    assert.match(workspace.body, /cannot be exported/);
    assert.equal((await visitor.request('GET', '/console/organizations/nowhere/export')).statusCode, 404);

    const imported = await visitor.upload(`${page}/import`, { mode: 'new', shortcode: 'portable-copy', name: 'Portable copy' }, archive);
    assert.equal(imported.statusCode, 303);
    assert.equal(imported.headers.location, '/console/organizations/portable-copy');
    assert.match(await visitor.flash('/console/organizations/portable-copy'), /Imported Portable copy \(portable-copy\): \d+ rows, 1 media file\(s\)/);
    const copy = await app.context.tenancy.organizations.get('portable-copy');
    const plios = await app.context.db.withSchema(copy.schemaName).selectFrom('plio').select('name').orderBy('id').execute();
    assert.deepEqual(plios.map((p) => p.name), ['Photosynthesis', 'Draft']);

    const count = async () => (await app.context.db.selectFrom('public.organization').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
    const before = await count();
    const taken = await visitor.upload(`${page}/import`, { mode: 'new' }, archive);
    assert.equal(taken.headers.location, page);
    assert.match(await visitor.flash(page), /an organization with shortcode &quot;portable&quot; already exists/);
    const damaged = Buffer.from(archive);
    damaged[Math.floor(damaged.length / 2)]! ^= 0x55;
    await visitor.upload(`${page}/import`, { mode: 'new', shortcode: 'portable-bad' }, damaged);
    assert.match(await visitor.flash(page), /not a usable Plio organization archive: the compressed data is damaged .*; nothing was imported/);
    const none = await visitor.upload(`${page}/import`, { mode: 'new', shortcode: 'portable-none' }, Buffer.alloc(0));
    assert.equal(none.statusCode, 303);
    assert.equal(await count(), before);

    // Restore: the organization keeps its id, its data becomes the archive's.
    const original = await app.context.tenancy.organizations.get('portable');
    await app.context.db.withSchema(original.schemaName).updateTable('plio').set({ name: 'Changed since' }).execute();
    await visitor.upload(`${page}/import`, { mode: 'replace' }, archive);
    assert.match(await visitor.flash(page), /Replaced the data of Org portable \(portable\)/);
    const restored = await app.context.tenancy.organizations.get('portable');
    assert.equal(restored.id, original.id);
    assert.notEqual(restored.schemaName, original.schemaName);
    const names = await app.context.db.withSchema(restored.schemaName).selectFrom('plio').select('name').orderBy('id').execute();
    assert.deepEqual(names.map((p) => p.name), ['Photosynthesis', 'Draft']);

    // Without a session, or without the form's token, nothing is imported.
    const stranger = await new Visitor(app).upload(`${page}/import`, { mode: 'new', shortcode: 'portable-stranger' }, archive, '/console/sign-in');
    assert.equal(stranger.statusCode, 303);
    assert.match(String(stranger.headers.location), /^\/console\/sign-in/);
    const forged = await visitor.request('POST', `${page}/import`, { mode: 'new', shortcode: 'portable-forged' });
    assert.equal(forged.statusCode, 403);
    assert.equal(await count(), before);
  });

  it('renames, saves settings and clones through the registry', async () => {
    const visitor = new Visitor(app);
    await visitor.signIn();
    await app.context.tenancy.organizations.create({ name: 'Old Name', shortcode: 'renamed' });
    const page = '/console/organizations/renamed';
    await visitor.post(`${page}/rename`, { name: 'New Name' }, page);
    await visitor.post(`${page}/settings`, { config: '{"theme": "dark"}' }, page);
    const bad = await visitor.post(`${page}/settings`, { config: '[1, 2]' }, page);
    assert.equal(bad.statusCode, 303);
    const renamed = await app.context.tenancy.organizations.get('renamed');
    assert.equal(renamed.name, 'New Name');
    assert.deepEqual(renamed.config, { theme: 'dark' });
    const cloned = await visitor.post(`${page}/clone`, { name: 'Copy', shortcode: 'renamed-copy' }, page);
    assert.equal(cloned.headers.location, '/console/organizations/renamed-copy');
    assert.equal((await app.context.tenancy.organizations.get('renamed-copy')).name, 'Copy');
  });

  it('lists organizations a page at a time, searched by shortcode, name or schema', async () => {
    for (let i = 0; i < 30; i++) {
      await app.context.tenancy.organizations.create({ name: `Paged School ${i}`, shortcode: `paged-${String(i).padStart(2, '0')}` });
    }
    const second = await listOrganizationPage(app.context.db, { search: 'paged', page: 2, pageSize: 25 });
    assert.equal(second.total, 30);
    assert.deepEqual(second.rows.map((row) => row.shortcode), ['paged-25', 'paged-26', 'paged-27', 'paged-28', 'paged-29']);
    assert.ok(second.rows.every((row) => row.sizeBytes! > 0 && row.members === 0 && row.domains.length === 0));
    // LIKE wildcards in a search are plain characters.
    assert.equal((await listOrganizationPage(app.context.db, { search: 'paged_%' })).total, 0);

    const visitor = new Visitor(app);
    await visitor.signIn();
    const html = (await visitor.request('GET', '/console/organizations?q=paged&page=2')).body;
    assert.match(html, /Page 2 of 2/);
    assert.match(html, /paged-29/);
    assert.doesNotMatch(html, /paged-24/);
  });
});
