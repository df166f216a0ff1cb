/**
 * The authorization matrix (issue 9): every operation of the OpenAPI
 * document × role (superuser, org-admin, org-view, non-member, SSO learner,
 * guest) × `Organization` header (own organization, another organization,
 * none), with the expected status generated from one table of operations
 * and a few named rules — not hand-written cases. An operation the document
 * lists and the table does not (a new route) fails the test, and so does a
 * table entry the document no longer lists.
 *
 * Every row acted on belongs to someone else: `owner`, an org-admin of both
 * organizations, made it (a published public plio with an item, a question,
 * a video, an image, a tag, an experiment and its link, a session with an
 * answer and an event) in each workspace. The actors' own rows are tested
 * in the feature tests. Expected answers follow the reference
 * (tests/integration/org/*, users/tests.py) with SPEC section 8's
 * differences: videos, images and tags follow the plio rules; only
 * superusers list and create organizations, and rename them; learners reach
 * only their own sessions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { startApp, type TestApp } from '../support/app.ts';
import { addMembership, createUser, type TestUser } from '../support/users.ts';
import { temporaryMediaRoot } from './content/fixtures.ts';

type Role = 'superuser' | 'org-admin' | 'org-view' | 'non-member' | 'sso-learner' | 'guest';
type Header = 'own' | 'other' | 'none';
const ROLES: readonly Role[] = ['superuser', 'org-admin', 'org-view', 'non-member', 'sso-learner', 'guest'];
const HEADERS: readonly Header[] = ['own', 'other', 'none'];

/** A rule: the status `role` gets with `header`, given the operation's success status. */
type Rule = (role: Role, header: Header, ok: number) => number;

const organizationOf = (header: Header) => (header === 'own' ? 'mx-a' : header === 'other' ? 'mx-b' : undefined);
const member = (role: Role, header: Header) => header === 'own' && (role === 'org-admin' || role === 'org-view');
const signedIn = (rule: (role: Role, header: Header, ok: number) => number): Rule => (role, header, ok) => (role === 'guest' ? 401 : rule(role, header, ok));

const rules = {
  /** No login needed, same answer for everyone (logins, play). */
  anyone: ((_role, _header, ok) => ok) as Rule,
  /** Any signed-in user; lists show what the user reaches (often nothing). */
  signedIn: signedIn((_role, _header, ok) => ok),
  /** Refused to everyone signed in (someone else's row reached through a learner route, or a reference they may not make). */
  refused: (status: number): Rule => signedIn(() => status),
  superuser: signedIn((role, _header, ok) => (role === 'superuser' ? ok : 403)),
  /** Someone else's row only superusers reach; others get the 404 of a row they cannot see. */
  superuserElse404: signedIn((role, _header, ok) => (role === 'superuser' ? ok : 404)),
  /** The organization's own admins (header-independent: the organization is in the path or body). */
  orgAdmin: signedIn((role, _header, ok) => (role === 'superuser' || role === 'org-admin' ? ok : 403)),
  orgAdminElse404: signedIn((role, _header, ok) => (role === 'superuser' || role === 'org-admin' ? ok : 404)),
  /** The plio rules on the owner's public plio and the workspace's assets: members and superusers. */
  workspace: signedIn((role, header, ok) => (role === 'superuser' || member(role, header) ? ok : 403)),
  /** Creating plios, items, questions, experiments: anyone in the personal workspace, only members in an organization (the reference: superusers too must join). */
  create: signedIn((role, header, ok) => (header === 'none' || member(role, header) ? ok : 403)),
  /** Adding an item or question to the owner's plio: creating in the workspace (members only in an organization) and reaching the plio (superusers in the personal workspace). */
  addToPlio: signedIn((role, header, ok) => ((header === 'none' ? role === 'superuser' : member(role, header)) ? ok : 403)),
  /** Listing and creating videos, images and tags: anyone in the personal workspace (their own), members and superusers in an organization. */
  assets: signedIn((role, header, ok) => (header === 'none' || role === 'superuser' || member(role, header) ? ok : 403)),
  /** Linking the owner's experiment: creators may link only their own experiments (400 for another's), superusers any. */
  linkOwnersExperiment: signedIn((role, header, ok) => {
    if (header !== 'none' && !member(role, header)) return 403;
    return role === 'superuser' ? ok : 400;
  }),
  /** The roles the caller may grant in the header's organization. */
  grantableRole: signedIn((role, header, ok) => (role === 'superuser' || (role === 'org-admin' && header === 'own') ? ok : 404)),
} as const;

interface Workspace {
  header: Header;
  plio: { id: number; uuid: string };
  item: number;
  question: number;
  video: number;
  image: number;
  tag: number;
  experiment: number;
  link: number;
  session: number;
  answer: number;
  event: number;
}

interface Shared {
  orgA: { id: number; apiKey: string };
  owner: TestUser;
  viewerMembership: number;
  orgViewRole: number;
  serial: () => number;
}

/** What a case sends: path parameters and a body, from the workspace its header names. */
interface Operation {
  method: string;
  path: string;
  rule: Rule;
  ok: number;
  /** `{id}` / `{uuid}` of the path. */
  param?: (ws: Workspace, shared: Shared) => string | number;
  query?: (ws: Workspace, shared: Shared) => string;
  body?: (ws: Workspace, shared: Shared) => unknown;
  multipart?: true;
  /** A target the operation consumes (deletes): made anew after each case that succeeded. */
  fresh?: (ws: Workspace, shared: Shared) => Promise<number>;
}

const ops: Operation[] = [];
const op = (method: string, path: string, rule: Rule, ok: number, extra: Partial<Operation> = {}) => ops.push({ method, path, rule, ok, ...extra });

describe('authorization matrix: every documented operation × role × Organization header', () => {
  let app: TestApp;
  let media: Awaited<ReturnType<typeof temporaryMediaRoot>>;
  const actors = {} as Record<Exclude<Role, 'guest'>, TestUser | { accessToken: string }>;
  const workspaces = {} as Record<Header, Workspace>;
  let shared: Shared;
  let counter = 0;

  const call = (who: Role, header: Header, method: string, url: string, body?: unknown, contentType?: string) => {
    const organization = organizationOf(header);
    const headers: Record<string, string> = {
      ...(who === 'guest' ? {} : { authorization: `Bearer ${actors[who].accessToken}` }),
      ...(organization === undefined ? {} : { organization }),
      ...(contentType && { 'content-type': contentType }),
    };
    return app.request({ method: method as 'GET', url, headers, ...(body !== undefined && { payload: body as object }) });
  };
  const asOwner = async (header: Header, method: string, url: string, body?: unknown) => {
    const response = await app.request({ method: method as 'GET', url, headers: shared.owner.headers(organizationOf(header)), ...(body !== undefined && { payload: body as object }) });
    assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json();
  };
  const jpeg = () => {
    const boundary = `mx${++counter}`;
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="url"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.alloc(32, 7),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
  };
  const uploadAsOwner = async (header: Header) => {
    const { payload, contentType } = jpeg();
    const response = await app.request({ method: 'POST', url: '/api/v1/images/', headers: { ...shared.owner.headers(organizationOf(header)), 'content-type': contentType }, payload });
    assert.equal(response.statusCode, 201, response.body);
    return response.json().id as number;
  };

  const buildWorkspace = async (header: Header): Promise<Workspace> => {
    const video = (await asOwner(header, 'POST', '/api/v1/videos/', { url: 'https://youtu.be/mx', duration: 10 })).id;
    const plio = await asOwner(header, 'POST', '/api/v1/plios/', { name: 'Owned', video, status: 'published', is_public: true });
    const item = (await asOwner(header, 'POST', '/api/v1/items/', { plio: plio.id, time: 1 })).id;
    const image = await uploadAsOwner(header);
    const question = (await asOwner(header, 'POST', '/api/v1/questions/', { item, text: 'Q', image })).id;
    const tag = (await asOwner(header, 'POST', '/api/v1/tags/', { name: 'Tag' })).id;
    const experiment = (await asOwner(header, 'POST', '/api/v1/experiments/', { name: 'E', description: 'd' })).id;
    const link = (await asOwner(header, 'POST', '/api/v1/experiment-plios/', { experiment, plio: plio.id, split_percentage: 50 })).id;
    const session = await asOwner(header, 'POST', '/api/v1/sessions/', { plio: plio.id });
    const event = (await asOwner(header, 'POST', '/api/v1/events/', { session: session.id, type: 'played', player_time: 1, details: {} })).id;
    return {
      header,
      plio: { id: plio.id, uuid: plio.uuid },
      item,
      question,
      video,
      image,
      tag,
      experiment,
      link,
      session: session.id,
      answer: session.session_answers[0].id,
      event,
    };
  };

  before(async () => {
    media = await temporaryMediaRoot();
    app = await startApp({ MEDIA_ROOT: media.path, DEFAULT_OAUTH2_CLIENT_ID: 'mx-client', DEFAULT_OAUTH2_CLIENT_SECRET: 'mx-secret' });
    const { organizations } = app.context.tenancy;
    const orgA = await organizations.create({ name: 'Matrix A', shortcode: 'mx-a' });
    const orgB = await organizations.create({ name: 'Matrix B', shortcode: 'mx-b' });
    const owner = await createUser(app);
    await addMembership(app, owner.id, orgA.id, 'org-admin');
    await addMembership(app, owner.id, orgB.id, 'org-admin');
    actors.superuser = await createUser(app, { isSuperuser: true });
    actors['org-admin'] = await createUser(app);
    await addMembership(app, (actors['org-admin'] as TestUser).id, orgA.id, 'org-admin');
    const viewer = await createUser(app);
    actors['org-view'] = viewer;
    await addMembership(app, viewer.id, orgA.id, 'org-view');
    actors['non-member'] = await createUser(app);
    const apiKey = (await app.context.db.selectFrom('public.organization').select('api_key').where('id', '=', orgA.id).executeTakeFirstOrThrow()).api_key;
    const sso = await app.request({ method: 'POST', url: '/auth/generate-external-auth-access-token/', payload: { api_key: apiKey, unique_id: 'learner-1' } });
    assert.equal(sso.statusCode, 200, sso.body);
    actors['sso-learner'] = { accessToken: sso.json().access_token };
    const roles = await app.context.db.selectFrom('public.role').select(['id', 'name']).execute();
    const membership = await app.context.db
      .selectFrom('public.organization_user')
      .select('id')
      .where('user_id', '=', viewer.id)
      .where('organization_id', '=', orgA.id)
      .executeTakeFirstOrThrow();
    await app.context.db.updateTable('public.user').set({ email: 'mx-password@example.org' }).where('id', '=', owner.id).execute();
    await app.context.db.updateTable('public.user').set({ password: await hashPassword('mx-pass') }).where('id', '=', owner.id).execute();
    shared = {
      orgA: { id: orgA.id, apiKey: apiKey! },
      owner,
      viewerMembership: membership.id,
      orgViewRole: roles.find((role) => role.name === 'org-view')!.id,
      serial: () => ++counter,
    };
    for (const header of HEADERS) workspaces[header] = await buildWorkspace(header);
  });
  after(async () => {
    await app.close();
    await media.remove();
  });

  // ---- the table ----------------------------------------------------------

  const client = { client_id: 'mx-client', client_secret: 'mx-secret' };
  const mobile = () => `+9190000${String(10000 + counter++).slice(-5)}`;
  op('POST', '/auth/token/', rules.anyone, 200, { body: () => ({ grant_type: 'password', username: 'mx-password@example.org', password: 'mx-pass', ...client }) });
  op('POST', '/auth/convert-token/', rules.anyone, 400, { body: () => ({ grant_type: 'convert_token', backend: 'google-oauth2', ...client }) });
  op('POST', '/auth/revoke-token/', rules.anyone, 200, { body: () => ({ token: 'not-a-token', ...client }) });
  op('POST', '/api/v1/otp/request/', rules.anyone, 200, { body: () => ({ mobile: mobile() }) });
  op('POST', '/api/v1/otp/verify/', rules.anyone, 401, { body: () => ({ mobile: mobile(), otp: '000000' }) });
  op('POST', '/auth/generate-external-auth-access-token/', rules.anyone, 200, { body: (_ws, s) => ({ api_key: s.orgA.apiKey, unique_id: `mx-${s.serial()}` }) });
  op('GET', '/api/v1/users/token/', rules.signedIn, 200, { query: (_ws, s) => `token=${s.owner.accessToken}` });

  op('GET', '/api/v1/users/', rules.superuser, 200);
  op('POST', '/api/v1/users/', rules.superuser, 201, { body: (_ws, s) => ({ email: `mx-new-${s.serial()}@example.org` }) });
  const owner = (_ws: Workspace, s: Shared) => s.owner.id;
  op('GET', '/api/v1/users/{id}/', rules.superuser, 200, { param: owner });
  op('PUT', '/api/v1/users/{id}/', rules.superuser, 200, { param: owner, body: () => ({ first_name: 'Owner' }) });
  op('PATCH', '/api/v1/users/{id}/', rules.superuser, 200, { param: owner, body: () => ({ last_name: 'Owner' }) });
  op('DELETE', '/api/v1/users/{id}/', rules.superuser, 204, {
    fresh: async () => (await app.context.db.insertInto('public.user').values({ email: `mx-gone-${++counter}@example.org` }).returning('id').executeTakeFirstOrThrow()).id,
  });
  op('GET', '/api/v1/users/{id}/config/', rules.superuser, 200, { param: owner });
  op('PATCH', '/api/v1/users/{id}/config/', rules.superuser, 200, { param: owner, body: () => ({ config: {} }) });
  op('PATCH', '/api/v1/users/{id}/setting/', rules.superuser, 200, { param: owner, body: () => ({}) });

  const orgA = (_ws: Workspace, s: Shared) => s.orgA.id;
  op('GET', '/api/v1/organizations/', rules.superuser, 200);
  op('POST', '/api/v1/organizations/', rules.superuser, 201, { body: (_ws, s) => ({ name: 'New', shortcode: `mx-new-${s.serial()}` }) });
  op('GET', '/api/v1/organizations/{id}/', rules.orgAdmin, 200, { param: orgA });
  op('PUT', '/api/v1/organizations/{id}/', rules.orgAdmin, 200, { param: orgA, body: () => ({ name: 'Matrix A', shortcode: 'mx-a', config: {} }) });
  // a rename: superusers only (issue 9 finding 8)
  op('PATCH', '/api/v1/organizations/{id}/', rules.superuser, 200, { param: orgA, body: () => ({ name: `Matrix A ${counter++}` }) });
  op('DELETE', '/api/v1/organizations/{id}/', rules.superuser, 204, {
    fresh: async () => (await app.context.tenancy.organizations.create({ name: 'Doomed', shortcode: `mx-doomed-${++counter}` })).id,
  });
  op('PATCH', '/api/v1/organizations/{id}/setting/', rules.orgAdmin, 200, { param: orgA, body: () => ({ theme: 'dark' }) });

  const membershipBody = (_ws: Workspace, s: Shared) => ({ user: (actors['org-view'] as TestUser).id, organization: s.orgA.id, role: s.orgViewRole });
  op('GET', '/api/v1/organization-users/', rules.signedIn, 200);
  op('POST', '/api/v1/organization-users/', rules.orgAdmin, 201, {
    body: (_ws, s) => ({ user: newUserIds.shift(), organization: s.orgA.id, role: s.orgViewRole }),
  });
  op('GET', '/api/v1/organization-users/{id}/', rules.orgAdminElse404, 200, { param: (_ws, s) => s.viewerMembership });
  op('PUT', '/api/v1/organization-users/{id}/', rules.orgAdmin, 200, { param: (_ws, s) => s.viewerMembership, body: membershipBody });
  op('PATCH', '/api/v1/organization-users/{id}/', rules.orgAdmin, 200, { param: (_ws, s) => s.viewerMembership, body: membershipBody });
  op('DELETE', '/api/v1/organization-users/{id}/', rules.orgAdminElse404, 204, {
    fresh: async (_ws, s) => {
      const user = await app.context.db.insertInto('public.user').values({ email: `mx-member-${++counter}@example.org` }).returning('id').executeTakeFirstOrThrow();
      await addMembership(app, user.id, s.orgA.id, 'org-view');
      return (await app.context.db.selectFrom('public.organization_user').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow()).id;
    },
  });
  op('GET', '/api/v1/roles/', rules.signedIn, 200);
  op('GET', '/api/v1/roles/{id}/', rules.grantableRole, 200, { param: (_ws, s) => s.orgViewRole });

  const uuid = (ws: Workspace) => ws.plio.uuid;
  op('GET', '/api/v1/plios/', rules.signedIn, 200);
  op('POST', '/api/v1/plios/', rules.create, 201, { body: () => ({}) });
  op('GET', '/api/v1/plios/{uuid}/', rules.workspace, 200, { param: uuid });
  op('PUT', '/api/v1/plios/{uuid}/', rules.workspace, 200, { param: uuid, body: () => ({ name: 'Owned' }) });
  op('PATCH', '/api/v1/plios/{uuid}/', rules.workspace, 200, { param: uuid, body: () => ({ name: 'Owned' }) });
  op('DELETE', '/api/v1/plios/{uuid}/', rules.workspace, 204, {
    fresh: async (ws) => (await asOwner(ws.header, 'POST', '/api/v1/plios/', { is_public: true })).uuid,
  });
  op('PATCH', '/api/v1/plios/{uuid}/setting/', rules.workspace, 200, { param: uuid, body: () => ({}) });
  op('GET', '/api/v1/plios/{uuid}/play/', rules.anyone, 200, { param: uuid });
  op('POST', '/api/v1/plios/{uuid}/duplicate/', rules.workspace, 200, { param: uuid });
  op('POST', '/api/v1/plios/{uuid}/copy/', rules.workspace, 200, { param: uuid, body: () => ({ workspace: 'plio' }) });
  op('GET', '/api/v1/plios/{uuid}/metrics/', rules.workspace, 200, { param: uuid });
  op('GET', '/api/v1/plios/{uuid}/download_data/', rules.workspace, 200, { param: uuid });

  op('GET', '/api/v1/items/', rules.signedIn, 200, { query: (ws) => `plio=${ws.plio.uuid}` });
  op('POST', '/api/v1/items/', rules.addToPlio, 201, { body: (ws) => ({ plio: ws.plio.id, time: 2 }) });
  op('GET', '/api/v1/items/{id}/', rules.workspace, 200, { param: (ws) => ws.item });
  op('PUT', '/api/v1/items/{id}/', rules.workspace, 200, { param: (ws) => ws.item, body: (ws) => ({ plio: ws.plio.id, time: 1 }) });
  op('PATCH', '/api/v1/items/{id}/', rules.workspace, 200, { param: (ws) => ws.item, body: () => ({ time: 1 }) });
  const freshItem = async (ws: Workspace) => (await asOwner(ws.header, 'POST', '/api/v1/items/', { plio: ws.plio.id, time: 9 })).id;
  op('DELETE', '/api/v1/items/{id}/', rules.workspace, 204, { fresh: freshItem });
  op('POST', '/api/v1/items/{id}/duplicate/', rules.workspace, 200, { param: (ws) => ws.item, body: (ws) => ({ plioId: ws.plio.id }) });
  op('DELETE', '/api/v1/items/bulk_delete/', rules.workspace, 200, { fresh: freshItem, body: () => ({ id: [freshTarget] }) });

  op('GET', '/api/v1/questions/', rules.signedIn, 200);
  op('POST', '/api/v1/questions/', rules.addToPlio, 201, { body: (ws) => ({ item: ws.item, text: 'Another' }) });
  op('GET', '/api/v1/questions/{id}/', rules.workspace, 200, { param: (ws) => ws.question });
  op('PUT', '/api/v1/questions/{id}/', rules.workspace, 200, { param: (ws) => ws.question, body: (ws) => ({ item: ws.item, text: 'Q' }) });
  op('PATCH', '/api/v1/questions/{id}/', rules.workspace, 200, { param: (ws) => ws.question, body: () => ({ text: 'Q' }) });
  op('DELETE', '/api/v1/questions/{id}/', rules.workspace, 204, {
    fresh: async (ws) => (await asOwner(ws.header, 'POST', '/api/v1/questions/', { item: ws.item, text: 'Doomed' })).id,
  });
  op('POST', '/api/v1/questions/{id}/duplicate/', rules.workspace, 200, { param: (ws) => ws.question, body: (ws) => ({ itemId: ws.item }) });

  // videos, images and tags: the plio rules (issue 9 finding 1)
  op('GET', '/api/v1/videos/', rules.assets, 200);
  op('POST', '/api/v1/videos/', rules.assets, 201, { body: () => ({ url: 'https://youtu.be/new' }) });
  op('GET', '/api/v1/videos/{id}/', rules.workspace, 200, { param: (ws) => ws.video });
  op('PUT', '/api/v1/videos/{id}/', rules.workspace, 200, { param: (ws) => ws.video, body: () => ({ url: 'https://youtu.be/mx' }) });
  op('PATCH', '/api/v1/videos/{id}/', rules.workspace, 200, { param: (ws) => ws.video, body: () => ({ title: 'T' }) });
  op('DELETE', '/api/v1/videos/{id}/', rules.workspace, 204, { fresh: async (ws) => (await asOwner(ws.header, 'POST', '/api/v1/videos/', { url: 'https://youtu.be/d' })).id });
  op('GET', '/api/v1/images/', rules.assets, 200);
  op('POST', '/api/v1/images/', rules.assets, 201, { multipart: true });
  op('GET', '/api/v1/images/{id}/', rules.workspace, 200, { param: (ws) => ws.image });
  op('PUT', '/api/v1/images/{id}/', rules.workspace, 200, { param: (ws) => ws.image, body: () => ({ alt_text: 'A' }) });
  op('PATCH', '/api/v1/images/{id}/', rules.workspace, 200, { param: (ws) => ws.image, body: () => ({ alt_text: 'A' }) });
  op('DELETE', '/api/v1/images/{id}/', rules.workspace, 204, { fresh: (ws) => uploadAsOwner(ws.header) });
  op('POST', '/api/v1/images/{id}/duplicate/', rules.workspace, 200, { param: (ws) => ws.image });
  op('GET', '/api/v1/tags/', rules.assets, 200);
  op('POST', '/api/v1/tags/', rules.assets, 201, { body: () => ({ name: 'New tag' }) });
  op('GET', '/api/v1/tags/{id}/', rules.workspace, 200, { param: (ws) => ws.tag });
  op('PUT', '/api/v1/tags/{id}/', rules.workspace, 200, { param: (ws) => ws.tag, body: () => ({ name: 'Tag' }) });
  op('PATCH', '/api/v1/tags/{id}/', rules.workspace, 200, { param: (ws) => ws.tag, body: () => ({ name: 'Tag' }) });
  op('DELETE', '/api/v1/tags/{id}/', rules.workspace, 204, { fresh: async (ws) => (await asOwner(ws.header, 'POST', '/api/v1/tags/', { name: 'Doomed' })).id });

  op('GET', '/api/v1/experiments/', rules.signedIn, 200);
  op('POST', '/api/v1/experiments/', rules.create, 201, { body: () => ({ name: 'New', description: 'd' }) });
  op('GET', '/api/v1/experiments/{id}/', rules.superuserElse404, 200, { param: (ws) => ws.experiment });
  op('PUT', '/api/v1/experiments/{id}/', rules.superuserElse404, 200, { param: (ws) => ws.experiment, body: () => ({ name: 'E', description: 'd' }) });
  op('PATCH', '/api/v1/experiments/{id}/', rules.superuserElse404, 200, { param: (ws) => ws.experiment, body: () => ({ name: 'E' }) });
  op('DELETE', '/api/v1/experiments/{id}/', rules.superuserElse404, 204, {
    fresh: async (ws) => (await asOwner(ws.header, 'POST', '/api/v1/experiments/', { name: 'Doomed', description: 'd' })).id,
  });
  op('GET', '/api/v1/experiment-plios/', rules.signedIn, 200);
  const linkBody = (ws: Workspace) => ({ experiment: ws.experiment, plio: ws.plio.id, split_percentage: 50 });
  op('POST', '/api/v1/experiment-plios/', rules.linkOwnersExperiment, 201, { body: linkBody });
  op('GET', '/api/v1/experiment-plios/{id}/', rules.superuserElse404, 200, { param: (ws) => ws.link });
  op('PUT', '/api/v1/experiment-plios/{id}/', rules.superuserElse404, 200, { param: (ws) => ws.link, body: linkBody });
  op('PATCH', '/api/v1/experiment-plios/{id}/', rules.superuserElse404, 200, { param: (ws) => ws.link, body: () => ({ split_percentage: 50 }) });
  op('DELETE', '/api/v1/experiment-plios/{id}/', rules.superuserElse404, 204, {
    fresh: async (ws) => (await asOwner(ws.header, 'POST', '/api/v1/experiment-plios/', linkBody(ws))).id,
  });

  // learners: their own sessions only, superusers included (someone else's is a 404)
  op('GET', '/api/v1/sessions/', rules.signedIn, 200);
  op('POST', '/api/v1/sessions/', rules.signedIn, 201, { body: (ws) => ({ plio: ws.plio.id }) });
  op('GET', '/api/v1/sessions/unique_users/', rules.signedIn, 200, { query: (ws) => `plio=${ws.plio.uuid}` });
  op('GET', '/api/v1/sessions/{id}/', rules.refused(404), 200, { param: (ws) => ws.session });
  op('PUT', '/api/v1/sessions/{id}/', rules.refused(404), 200, { param: (ws) => ws.session, body: () => ({ watch_time: 1 }) });
  op('PATCH', '/api/v1/sessions/{id}/', rules.refused(404), 200, { param: (ws) => ws.session, body: () => ({ watch_time: 1 }) });
  op('DELETE', '/api/v1/sessions/{id}/', rules.refused(404), 204, { param: (ws) => ws.session });
  op('GET', '/api/v1/session-answers/', rules.signedIn, 200);
  op('POST', '/api/v1/session-answers/', rules.refused(400), 201, { body: (ws) => ({ session: ws.session, item: ws.item, answer: 0 }) });
  op('GET', '/api/v1/session-answers/{id}/', rules.refused(404), 200, { param: (ws) => ws.answer });
  op('PUT', '/api/v1/session-answers/{id}/', rules.refused(404), 200, { param: (ws) => ws.answer, body: () => ({ answer: 1 }) });
  op('PATCH', '/api/v1/session-answers/{id}/', rules.refused(404), 200, { param: (ws) => ws.answer, body: () => ({ answer: 1 }) });
  op('DELETE', '/api/v1/session-answers/{id}/', rules.refused(404), 204, { param: (ws) => ws.answer });
  op('GET', '/api/v1/events/', rules.signedIn, 200);
  op('POST', '/api/v1/events/', rules.refused(400), 201, { body: (ws) => ({ session: ws.session, type: 'played', player_time: 2 }) });
  op('GET', '/api/v1/events/{id}/', rules.refused(404), 200, { param: (ws) => ws.event });
  op('PUT', '/api/v1/events/{id}/', rules.refused(404), 200, { param: (ws) => ws.event, body: (ws) => ({ session: ws.session, type: 'played', player_time: 3 }) });
  op('PATCH', '/api/v1/events/{id}/', rules.refused(404), 200, { param: (ws) => ws.event, body: () => ({ player_time: 3 }) });
  op('DELETE', '/api/v1/events/{id}/', rules.refused(404), 204, { param: (ws) => ws.event });

  // ---- running it ------------------------------------------------------------

  /** Users for membership creation, one per case that may succeed. */
  const newUserIds: number[] = [];
  /** The target a `fresh` operation acts on in the current case. */
  let freshTarget: number | string = 0;

  it('has an entry for every operation of the OpenAPI document, and no other', async () => {
    const document = (await app.request({ method: 'GET', url: '/api/v1/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const tabled = ops.map((entry) => `${entry.method} ${entry.path}`).sort();
    assert.deepEqual(
      documented.filter((key) => !tabled.includes(key)),
      [],
      'operations without an entry in the authorization matrix: add one',
    );
    assert.deepEqual(
      tabled.filter((key) => !documented.includes(key)),
      [],
      'entries for operations the document does not list',
    );
    assert.ok(documented.length >= 100, `only ${documented.length} operations documented`);
  });

  it(`answers every case as the table says (${ROLES.length} roles × ${HEADERS.length} headers per operation)`, async () => {
    const wrong: string[] = [];
    let cases = 0;
    for (const entry of ops) {
      for (const header of HEADERS) {
        const ws = workspaces[header];
        let consumed = true;
        for (const role of ROLES) {
          if (entry.fresh && consumed) {
            freshTarget = await entry.fresh(ws, shared);
            consumed = false;
          }
          if (entry.path.startsWith('/api/v1/organization-users/') && entry.method === 'POST') {
            newUserIds.push((await app.context.db.insertInto('public.user').values({ email: `mx-join-${++counter}@example.org` }).returning('id').executeTakeFirstOrThrow()).id);
          }
          const param = entry.fresh && !entry.body ? freshTarget : entry.param?.(ws, shared);
          let url = entry.path.replace(/\{(id|uuid)\}/, String(param));
          if (entry.query) url += `?${entry.query(ws, shared)}`;
          const upload = entry.multipart ? jpeg() : undefined;
          const body = upload ? upload.payload : entry.body?.(ws, shared);
          const response = await call(role, header, entry.method, url, body, upload?.contentType);
          const expected = entry.rule(role, header, entry.ok);
          cases++;
          if (response.statusCode !== expected) {
            wrong.push(`${entry.method} ${entry.path} as ${role}, header ${header}: ${response.statusCode} (expected ${expected}) ${response.body.slice(0, 120)}`);
          }
          if (response.statusCode < 300) consumed = true;
        }
      }
    }
    assert.deepEqual(wrong, [], `${wrong.length} of ${cases} cases answered otherwise`);
    assert.equal(cases, ops.length * ROLES.length * HEADERS.length);
  });
});
