import { PassThrough, Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import tar from 'tar-stream';
import { issueTokens } from '../../src/accounts/tokens.ts';
import { createImageStorage } from '../../src/content/image-storage.ts';
import type { DB } from '../../src/db/schema.ts';
import { migrations } from '../../src/migrations/index.ts';
import { statementMode, type MigrationSets } from '../../src/tenancy/migration.ts';
import { exportOrganization, type PortabilityContext } from '../../src/portability/export.ts';
import { importOrganization, type ImportOptions } from '../../src/portability/import.ts';
import { sha256, type Manifest } from '../../src/portability/archive.ts';
import { schemaTables } from '../../src/portability/catalog.ts';
import { createTenantSchema, dropTenantSchema } from '../../src/tenancy/provisioning.ts';
import type { TestApp } from './app.ts';
import { analyticsFixtures } from './analytics-fixtures.ts';
import { addMembership, createUser, type TestUser } from './users.ts';
import { unzip } from './zip-archive.ts';

/** What export and import need, from a test app. */
export function portabilityOf(app: TestApp, migrationSets: MigrationSets = migrations): PortabilityContext {
  return { database: app.context.database, storage: createImageStorage(app.context.config), migrations: migrationSets };
}

/** Exports an organization of `app` into memory. */
export async function exportToBuffer(app: TestApp, shortcode: string, migrationSets?: MigrationSets): Promise<Buffer> {
  const out = new PassThrough();
  const [bytes] = await Promise.all([buffer(out), exportOrganization(portabilityOf(app, migrationSets), shortcode, out as Writable)]);
  return bytes;
}

export function importFromBuffer(app: TestApp, archive: Buffer, options: ImportOptions = {}, migrationSets?: MigrationSets) {
  return importOrganization(portabilityOf(app, migrationSets), () => Readable.from([archive]), options);
}

/** The entries of an archive, by path, in order. */
export async function archiveEntries(archive: Buffer): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract as unknown as AsyncIterable<AsyncIterable<Buffer> & { header: tar.Header }>) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk);
      entries.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  await pipeline(Readable.from([archive]), createGunzip(), extract as unknown as Writable);
  await reading;
  return entries;
}

/** Packs entries (in the given order) back into an archive, as a forger or a broken tool would. */
export async function packArchive(entries: Map<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const out = new PassThrough();
  const packed = buffer(out);
  const piping = pipeline(pack as unknown as Readable, createGzip(), out);
  for (const [name, data] of entries) await new Promise<void>((resolve, reject) => pack.entry({ name }, data, (e) => (e ? reject(e) : resolve())));
  pack.finalize();
  await piping;
  return packed;
}

export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f1e9a90000000049454e44ae426082',
  'hex',
);

/**
 * An organization with a bit of everything an archive must carry: a domain,
 * an admin (email) and a viewer (mobile), learners by email, mobile and SSO
 * of this organization, a published plio with a video, questions (one with
 * an uploaded image), sessions, answers, events, a soft-deleted session and a
 * tag.
 */
export async function seedOrganization(app: TestApp, shortcode: string) {
  const organization = await app.context.tenancy.organizations.create({ name: `Org ${shortcode}`, shortcode, domain: `${shortcode}.example.org`, config: { theme: 'dark' } });
  const admin = await createUser(app, { email: `admin@${shortcode}.example.org`, firstName: 'Ada' });
  const viewer = await createUser(app, { mobile: '+919876543210' });
  await app.context.db.updateTable('public.user').set({ email: null }).where('id', '=', viewer.id).execute(); // known by mobile alone
  await addMembership(app, admin.id, organization.id, 'org-admin');
  await addMembership(app, viewer.id, organization.id, 'org-view');
  const fixtures = analyticsFixtures(app, organization.schemaName);
  const plio = await fixtures.plio({ createdBy: admin.id, name: 'Photosynthesis', video: { url: 'https://www.youtube.com/watch?v=roundtrip01', duration: 90 } });
  const mcq = await fixtures.question(plio.id, { time: 10, text: 'Which gas?', options: ['O2', 'CO2'], correctAnswer: 1 });
  const checkbox = await fixtures.question(plio.id, { time: 20, type: 'checkbox', options: ['A', 'B', 'C'], correctAnswer: [0, 2] });
  const subjective = await fixtures.question(plio.id, { time: 30, type: 'subjective' });
  const learners = [
    await fixtures.learner({ email: `learner@${shortcode}.example.org` }),
    await fixtures.learner({ email: null, mobile: '+919000000001' }),
    await fixtures.learner({ email: null, uniqueId: 'roll-42', authOrgId: organization.id }),
  ];
  for (const [i, learner] of learners.entries()) {
    const session = await fixtures.session(plio.id, learner, { watchTime: 30 + i, retention: '1,1,0,1,2' });
    await fixtures.answer(session, mcq, i % 2);
    await fixtures.answer(session, checkbox, [0, 2]);
    await fixtures.answer(session, subjective, `answer ${i}`);
    await fixtures.event(session, { type: 'played', playerTime: 1.5 });
    await fixtures.event(session, { type: 'paused', playerTime: 12.25, details: { note: 'é ü 😀' } });
  }
  await fixtures.softDelete('session', await fixtures.session(plio.id, learners[0]!, { watchTime: 99 }));
  const draft = await fixtures.plio({ createdBy: viewer.id, name: 'Draft', status: 'draft', video: false });

  const boundary = 'plio-portability';
  const upload = await app.request({
    method: 'POST',
    url: '/api/v1/images/',
    headers: { ...admin.headers(shortcode), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="leaf.png"\r\nContent-Type: image/png\r\n\r\n`),
      PNG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  });
  if (upload.statusCode !== 201) throw new Error(`image upload: ${upload.body}`);
  const tenant = app.context.db.withSchema(organization.schemaName);
  await tenant.updateTable('question').set({ image_id: upload.json().id }).where('item_id', '=', mcq).execute();
  const tag = await tenant.insertInto('tag').values({ name: 'Biology', slug: 'biology' }).returning('id').executeTakeFirstOrThrow();
  await tenant.insertInto('model_has_tag').values({ tag_id: tag.id, model_type: 'plio', model_id: plio.id }).execute();
  return { organization, admin, viewer, learners, plios: [plio.uuid, draft.uuid] };
}

/**
 * What the API answers about an organization, as its admin sees it: the
 * plio list, each plio's details and metrics, and the report zip's CSV
 * files. User ids and media locations are installation details, so they
 * are normalised: users to their email, media URLs to the file name.
 */
export async function apiAnswers(app: Pick<TestApp, 'request'>, user: TestUser, shortcode: string, uuids: readonly string[]) {
  const get = async (url: string) => {
    const response = await app.request({ method: 'GET', url, headers: user.headers(shortcode) });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response;
  };
  const answers: Record<string, unknown> = { list: normalise((await get('/api/v1/plios/?ordering=name')).json()) };
  for (const uuid of uuids) {
    answers[`details ${uuid}`] = normalise((await get(`/api/v1/plios/${uuid}/`)).json());
    answers[`metrics ${uuid}`] = (await get(`/api/v1/plios/${uuid}/metrics/`)).json();
    const details = answers[`details ${uuid}`] as { status: string };
    if (details.status !== 'published') continue;
    const files = await unzip((await get(`/api/v1/plios/${uuid}/download_data/`)).rawPayload);
    for (const [name, data] of files) if (name.endsWith('.csv')) answers[`report ${uuid} ${name}`] = data.toString('utf8');
  }
  return answers;
}

function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item));
  if (value && typeof value === 'object') {
    if (key === 'created_by' || key === 'user') return { email: (value as { email?: string }).email, mobile: (value as { mobile?: string }).mobile };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  }
  if (typeof value === 'number' && (key === 'user_id' || key.endsWith('_by_id'))) return 'a user id';
  if (typeof value === 'string' && value.includes('/images/')) return value.slice(value.lastIndexOf('/images/'));
  return value;
}

/** Signs in the user with `email` (tokens as a login would issue them). */
export async function signInAs(app: { context: Pick<TestApp['context'], 'db' | 'secretKey'> }, email: string): Promise<TestUser> {
  const { id } = await app.context.db.selectFrom('public.user').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  const tokens = await issueTokens(app.context.db, app.context.secretKey, id, null);
  return {
    id,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    headers: (organization) => ({ authorization: `Bearer ${tokens.access_token}`, ...(organization === undefined ? {} : { organization }) }),
  };
}

export { createUser };

/**
 * A published plio in `schema` with `learners` new learners (one in ten
 * watched twice), `questions` questions answered in every session and
 * `events` events per session: the analytics benchmark's shape, in SQL.
 */
export async function seedLargePlio(
  db: Kysely<DB>,
  schema: string,
  options: { creatorId: number; learners: number; label: string; questions?: number; events?: number; videoSeconds?: number },
) {
  const { creatorId, learners, label, questions = 20, events = 10, videoSeconds = 300 } = options;
  const t = (table: string) => sql.table(`${schema}.${table}`);
  const plio = await sql<{ id: number }>`
    with video as (insert into ${t('video')} (url, duration) values ('https://www.youtube.com/watch?v=benchmark01', ${videoSeconds}) returning id)
    insert into ${t('plio')} (uuid, name, created_by_id, status, video_id)
    select ${`large${label}`}, ${`Large ${label}`}, ${creatorId}::bigint, 'published', id from video returning id`.execute(db);
  const plioId = plio.rows[0]!.id;
  await sql`
    with items as (insert into ${t('item')} (plio_id, time) select ${plioId}::bigint, g * 10 from generate_series(1, ${questions}) g returning id)
    insert into ${t('question')} (item_id, type, text, options, correct_answer)
    select id, 'mcq', 'Question ' || id, '["A", "B", "C", "D"]', '1' from items`.execute(db);
  await sql`insert into public.user (email) select ${`${label}-`} || g || '@example.org' from generate_series(1, ${learners}) g`.execute(db);
  await sql`
    insert into ${t('session')} (plio_id, user_id, watch_time, retention)
    select ${plioId}::bigint, u.id, (u.id * 7) % ${videoSeconds}, r.retention
    from public.user u,
      (select string_agg(case when g % 2 = 0 then '2' else '1' end, ',') as retention from generate_series(1, ${videoSeconds}) g) r,
      generate_series(1, 2) visit
    where u.email like ${`${label}-%`} and (visit = 1 or u.id % 10 = 0)`.execute(db);
  // The pairs are materialised first: Citus plans an INSERT … SELECT whose
  // SELECT joins two tables of a distributed schema on a non-key column as
  // a repartition join (which it refuses by default); a materialised CTE is
  // a router query, and the insert then reads its result on the coordinator.
  await sql`
    with pairs as materialized (
      select s.id as session_id, i.id as item_id
      from ${t('session')} s join ${t('item')} i on i.plio_id = s.plio_id where s.plio_id = ${plioId}
    )
    insert into ${t('session_answer')} (session_id, item_id, answer)
    select session_id, item_id, case when (session_id + item_id) % 10 = 0 then null else to_jsonb((session_id + item_id) % 4) end
    from pairs`.execute(db);
  await sql`
    insert into ${t('event')} (session_id, type, player_time, details)
    select s.id, (array['played', 'paused', 'option_selected', 'video_seeked'])[1 + g % 4], g * 7.5, jsonb_build_object('itemIndex', g % ${questions})
    from ${t('session')} s, generate_series(1, ${events}) g where s.plio_id = ${plioId}`.execute(db);
  return { plioId, uuid: `large${label}` };
}

/**
 * `archive` as an installation at `older` tenant migrations would have
 * written it: each table's rows cut down to the columns that version's schema
 * has (read from a schema `app` creates at that version and drops again),
 * tables it lacks left out, manifest and checksums rewritten. Today's code
 * cannot seed an older schema itself (it writes columns later migrations
 * added), so this is how the tests make an "older archive".
 */
export async function downgradeArchive(app: TestApp, archive: Buffer, older: MigrationSets['tenant']): Promise<Buffer> {
  const schema = `port_older_${process.pid}`;
  const shapes = await app.context.db.transaction().execute(async (trx) => {
    await createTenantSchema(trx, schema, older, await statementMode(trx));
    const tables = new Map((await schemaTables(trx, schema)).map((shape) => [shape.name, shape.columns]));
    await dropTenantSchema(trx, schema);
    return tables;
  });
  const entries = await archiveEntries(archive);
  const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as Manifest;
  const kept = new Map<string, Buffer>();
  for (const [path, data] of entries) {
    if (path === 'manifest.json') continue;
    const [folder, table] = path.split('/');
    if (folder !== 'tables') {
      kept.set(path, data);
      continue;
    }
    const columns = shapes.get(table!);
    if (!columns) continue;
    const lines = data.toString('utf8').split('\n').filter(Boolean).map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(columns.map((column) => [column, row[column]])));
    });
    kept.set(path, Buffer.from(lines.map((line) => `${line}\n`).join('')));
  }
  const rewritten: Manifest = {
    ...manifest,
    schema_version: older.length,
    migrations: older.map((migration) => migration.name),
    tables: manifest.tables.filter((table) => shapes.has(table.name)).map((table) => ({ ...table, columns: shapes.get(table.name)! })),
    files: [...kept].map(([path, data]) => ({ path, bytes: data.length, sha256: sha256(data) })),
  };
  kept.set('manifest.json', Buffer.from(JSON.stringify(rewritten)));
  return packArchive(kept);
}
