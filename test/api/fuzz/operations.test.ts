/**
 * A seeded fuzz pass over every operation of the OpenAPI document: each kind
 * of hostile input (./hostile-kinds.ts) against each operation, as a
 * superuser in an organization, in the personal workspace and anonymously.
 * No answer may be a 5xx, and a refused request (4xx) may create nothing.
 *
 * The seed (FUZZ_SEED, printed on failure) picks the workspace and the
 * order; every failure is printed as a request to replay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startApp, type TestApp } from '../../support/app.ts';
import { createUser, type TestUser } from '../../support/users.ts';
import { CLIENT, CLIENT_ENV } from '../accounts/support.ts';
import { buildPlio, client, temporaryMediaRoot } from '../content/fixtures.ts';
import { HOSTILE_KINDS, type HostileRequest, type Target } from './hostile-kinds.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 9_2026);

/** mulberry32: a small, fast, seedable generator. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}

/** Fields some operations read without documenting them (free-form bodies). */
const UNDOCUMENTED_FIELDS: [RegExp, string[]][] = [
  [/^\/api\/v1\/users\/\{id\}\/$/, ['first_name', 'last_name', 'email', 'mobile', 'avatar_url', 'config', 'status']],
  [/^\/api\/v1\/users\/\{id\}\/(config|setting)\/$/, ['config', 'player']],
  [/^\/api\/v1\/organizations\/\{id\}\/(setting\/)?$/, ['name', 'shortcode', 'config', 'player']],
  [/^\/api\/v1\/plios\/\{uuid\}\/setting\/$/, ['player', 'config']],
  [/^\/api\/v1\/questions\/(\{id\}\/)?$/, ['item', 'text', 'type', 'options', 'correct_answer', 'image', 'max_char_limit']],
  [/^\/api\/v1\/sessions\/$/, ['plio', 'experiment', 'retention', 'watch_time']],
  [/^\/api\/v1\/images\/$/, ['alt_text']],
];

describe(`fuzz: every documented operation, every kind of hostile input (FUZZ_SEED=${SEED})`, () => {
  let app: TestApp;
  let media: Awaited<ReturnType<typeof temporaryMediaRoot>>;
  let superuser: TestUser;
  const targets: Target[] = [];
  const shortcode = 'fuzzorg';
  let orgSchema = '';

  before(async () => {
    media = await temporaryMediaRoot();
    app = await startApp({ ...CLIENT_ENV, MEDIA_ROOT: media.path, SUPERUSER_EMAIL: 'root@example.org', SUPERUSER_PASSWORD: 'root-password-1' });
    superuser = await createUser(app, { isSuperuser: true });
    const victim = await createUser(app);
    const as = client(app, superuser);
    const org = (await as.post('/api/v1/organizations/', { name: 'Fuzz', shortcode })).json();
    orgSchema = org.schema_name;
    const roles = (await as.get('/api/v1/roles/')).json() as { id: number; name: string }[];
    const role = roles.find((r) => r.name === 'org-view')!;
    const membership = (await as.post('/api/v1/organization-users/', { user: victim.id, organization: org.id, role: role.id })).json();

    // Content in the personal workspace: what every path parameter points at.
    const plio = await buildPlio(as, { questions: [{ time: 1 }] });
    const session = (await as.post('/api/v1/sessions/', { plio: plio.id })).json();
    const experiment = (await as.post('/api/v1/experiments/', { name: 'e', description: 'd' })).json();
    const tag = (await as.post('/api/v1/tags/', { name: 'tag' })).json();
    const link = (await as.post('/api/v1/experiment-plios/', { experiment: experiment.id, plio: plio.id, split_percentage: 10 })).json();
    const event = (await as.post('/api/v1/events/', { session: session.id, type: 'played', player_time: 1 })).json();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da6364f8cf00000301010027e2f1a40000000049454e44ae426082', 'hex');
    const boundary = '----fixture';
    const upload = await app.request({
      method: 'POST',
      url: '/api/v1/images/',
      headers: { ...superuser.headers(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
        png,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    assert.equal(upload.statusCode, 201, upload.body);
    const image = upload.json();

    const ids: Record<string, string | number> = {
      users: victim.id,
      organizations: org.id,
      'organization-users': membership.id,
      roles: role.id,
      plios: plio.uuid,
      items: plio.items[0]!.id,
      questions: plio.items[0]!.questionId,
      videos: plio.videoId!,
      images: image.id,
      tags: tag.id,
      experiments: experiment.id,
      'experiment-plios': link.id,
      sessions: session.id,
      'session-answers': session.session_answers[0].id,
      events: event.id,
    };
    const validBodies: [RegExp, Record<string, unknown>][] = [
      [/^\/auth\/token\/$/, { grant_type: 'password', client_id: CLIENT.id, client_secret: CLIENT.secret, username: 'root@example.org', password: 'wrong' }],
      [/^\/auth\/convert-token\/$/, { grant_type: 'convert_token', client_id: CLIENT.id, client_secret: CLIENT.secret, backend: 'google-oauth2', token: 't' }],
      [/^\/auth\/revoke-token\/$/, { token: 'unknown', client_id: CLIENT.id, client_secret: CLIENT.secret }],
      [/^\/api\/v1\/otp\/request\/$/, { mobile: '+919876500001' }],
      [/^\/api\/v1\/otp\/verify\/$/, { mobile: '+919876500001', otp: '000000' }],
      [/^\/auth\/generate-external-auth-access-token\/$/, { api_key: org.api_key, unique_id: 'learner-1' }],
      [/^\/api\/v1\/users\/\{id\}\/$/, { first_name: 'F' }],
      [/^\/api\/v1\/users\/\{id\}\/config\/$/, { config: {} }],
      [/^\/api\/v1\/organizations\/$/, { name: 'New org', shortcode: 'fuzz-new' }],
      [/^\/api\/v1\/organizations\/\{id\}\/$/, { config: {} }],
      [/^\/api\/v1\/organization-users\/(\{id\}\/)?$/, { user: victim.id, organization: org.id, role: role.id }],
      [/^\/api\/v1\/plios\/(\{uuid\}\/)?$/, { name: 'p' }],
      [/^\/api\/v1\/plios\/\{uuid\}\/copy\/$/, { workspace: shortcode }],
      [/^\/api\/v1\/items\/(\{id\}\/)?$/, { plio: plio.id, time: 2, type: 'question' }],
      [/^\/api\/v1\/items\/\{id\}\/duplicate\/$/, { plioId: plio.id }],
      [/^\/api\/v1\/items\/bulk_delete\/$/, { id: [999_999] }],
      [/^\/api\/v1\/questions\/(\{id\}\/)?$/, { item: plio.items[0]!.id, text: 'q', type: 'mcq' }],
      [/^\/api\/v1\/questions\/\{id\}\/duplicate\/$/, { itemId: plio.items[0]!.id }],
      [/^\/api\/v1\/videos\/(\{id\}\/)?$/, { url: 'https://x.y/z' }],
      [/^\/api\/v1\/images\/\{id\}\/$/, { alt_text: 'a' }],
      [/^\/api\/v1\/tags\/(\{id\}\/)?$/, { name: 'n' }],
      [/^\/api\/v1\/experiments\/(\{id\}\/)?$/, { name: 'n', description: 'd' }],
      [/^\/api\/v1\/experiment-plios\/(\{id\}\/)?$/, { experiment: experiment.id, plio: plio.id, split_percentage: 5 }],
      [/^\/api\/v1\/sessions\/(\{id\}\/)?$/, { plio: plio.id }],
      [/^\/api\/v1\/session-answers\/(\{id\}\/)?$/, { session: session.id, item: plio.items[0]!.id, answer: 1 }],
      [/^\/api\/v1\/events\/(\{id\}\/)?$/, { session: session.id, type: 'paused', player_time: 3 }],
    ];

    const document = (await app.request({ method: 'GET', url: '/api/v1/docs/json' })).json() as { paths: Record<string, Record<string, OpenApiOperation>> };
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const params = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        const resource = /^\/api\/v1\/([\w-]+)\//.exec(template)?.[1] ?? '';
        const documented = Object.values(operation.requestBody?.content ?? {}).flatMap((content) => Object.keys(content.schema?.properties ?? {}));
        const extra = UNDOCUMENTED_FIELDS.filter(([pattern]) => pattern.test(template)).flatMap(([, fields]) => fields);
        targets.push({
          method: method.toUpperCase(),
          template,
          path: template.replace(/\{(\w+)\}/g, () => String(ids[resource] ?? 1)),
          params,
          fields: [...new Set([...documented, ...extra])],
          query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          validBody: validBodies.find(([pattern]) => pattern.test(template))?.[1] ?? {},
          hasBody: method !== 'get' && method !== 'delete' ? true : template.endsWith('bulk_delete/'),
        });
      }
    }
    // Deletions last, so that the rows every other operation points at stay.
    targets.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  });
  after(async () => {
    await app.close();
    await media.remove();
  });

  /** Row counts that refused input must leave unchanged (users, organizations, memberships, content in both workspaces). */
  const fingerprint = async (): Promise<string> => {
    const tables = ['plio', 'item', 'question', 'video', 'image', 'tag', 'experiment', 'experiment_plio', 'session', 'session_answer', 'event'];
    const counts = [
      ...['public.user', 'public.organization', 'public.organization_user'],
      ...tables.map((t) => `public.${t}`),
      ...tables.map((t) => `${orgSchema}.${t}`),
    ].map((table) => sql`(select count(*) from ${sql.table(table)})`);
    const { rows } = await sql<{ counts: string }>`select concat_ws(',', ${sql.join(counts)}) as counts`.execute(app.context.db);
    return rows[0]!.counts;
  };
  it('covers every operation of the document', () => {
    assert.ok(targets.length >= 100, `only ${targets.length} operations in the OpenAPI document`);
  });

  it('answers no 5xx and creates nothing when it refuses', async () => {
    const next = random(SEED);
    const failures: string[] = [];
    const kindsSeen = new Set<string>();
    let sent = 0;
    // Counted after every successful write and every refused creation, so that each refused creation is compared with the state just before it.
    let rows = await fingerprint();
    for (const target of targets) {
      for (const kind of HOSTILE_KINDS) {
        for (const hostile of kind.requests(target, (variants) => variants[Math.floor(next() * variants.length)]!)) {
          // The seed decides who asks: a superuser in the organization or in
          // the personal workspace, or nobody (anonymous routes and 401s).
          const who = next();
          const headers: Record<string, string> =
            who < 0.45 ? superuser.headers(shortcode) : who < 0.9 ? superuser.headers('') : {};
          const response = await send(app, hostile, headers);
          sent++;
          kindsSeen.add(kind.name);
          const reproduce = () => `${kind.name}: ${response.statusCode} ${response.body.slice(0, 160)}\n    ${replay(hostile, headers)}`;
          if (response.statusCode >= 500) failures.push(reproduce());
          // Row counts change with successful writes; a refused creation must leave them as they were.
          const refusedCreation = hostile.method === 'POST' && response.statusCode >= 400;
          if (hostile.method === 'GET' || !(refusedCreation || response.statusCode < 300)) continue;
          const after = await fingerprint();
          if (refusedCreation && after !== rows) failures.push(`rows were created by a refused request: ${reproduce()}`);
          rows = after;
        }
      }
    }
    assert.equal(kindsSeen.size, HOSTILE_KINDS.length, 'every kind of hostile input applies to some operation');
    if (failures.length > 0) {
      assert.fail(`${failures.length} of ${sent} hostile requests failed (replay with FUZZ_SEED=${SEED}):\n${failures.slice(0, 40).join('\n')}`);
    }
  });
});

function send(app: TestApp, hostile: HostileRequest, headers: Record<string, string>) {
  return app.request({
    method: hostile.method as 'GET',
    url: hostile.url,
    headers: { ...headers, ...(hostile.contentType && { 'content-type': hostile.contentType }), ...hostile.headers },
    ...(hostile.payload !== undefined && { payload: hostile.payload }),
  });
}

/** The request as a curl command line (bodies cut at 300 characters), to replay by hand. */
function replay(hostile: HostileRequest, headers: Record<string, string>): string {
  const all = { ...headers, ...(hostile.contentType && { 'content-type': hostile.contentType }), ...hostile.headers };
  const header = Object.entries(all).map(([name, value]) => `-H ${JSON.stringify(`${name}: ${value.slice(0, 120)}`)}`);
  const body = hostile.payload === undefined ? [] : [`--data-raw ${JSON.stringify(String(hostile.payload).slice(0, 300))}`];
  return ['curl', '-X', hostile.method, ...header, ...body, JSON.stringify(`http://127.0.0.1:8001${hostile.url.slice(0, 300)}`)].join(' ');
}
