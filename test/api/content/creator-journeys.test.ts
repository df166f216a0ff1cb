/**
 * Smaller creator and learner journeys: publish rules, settings, video URLs
 * (tests/integration/creator/test_publish_rules.py, test_settings.py,
 * test_video_url.py), skip settings at play time, A/B arms and the event
 * stream (tests/integration/learner/test_skip_rules.py, test_ab_splitting.py,
 * test_event_stream.py, test_watch_time.py).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { addMembership, createUser } from '../../support/users.ts';
import { buildPlio, client, type Client } from './fixtures.ts';

const SETTINGS = { player: { skipEnabled: true, watchTime: 15 }, app: { aspectRatio: { value: 0.5625 } } };
const OVERLONG_URL = `https://www.youtube.com/watch?v=${'a'.repeat(230)}`;
const VALID_URL = 'https://www.youtube.com/watch?v=vnISjBbrMUM';

describe('creator and learner journeys', () => {
  let app: TestApp;
  let creator: Client;
  let creatorInOrg: Client;
  let learner: Client;
  before(async () => {
    app = await startApp();
    const user = await createUser(app);
    const org = await app.context.tenancy.organizations.create({ name: 'Org A', shortcode: 'org-a' });
    await addMembership(app, user.id, org.id, 'org-admin');
    creator = client(app, user);
    creatorInOrg = client(app, user, 'org-a');
    learner = client(app, await createUser(app));
  });
  after(() => app.close());

  it('publishes with no questions, refuses unknown statuses, keeps editing and the uuid', async () => {
    const uuid = (await creator.post('/api/v1/plios/', { name: 'Draft plio' })).json().uuid;
    assert.equal((await creator.patch(`/api/v1/plios/${uuid}/`, { status: 'published' })).statusCode, 200);
    assert.equal((await creator.get(`/api/v1/plios/${uuid}/`)).json().status, 'published');
    const rejected = await creator.patch(`/api/v1/plios/${uuid}/`, { status: 'archived' });
    assert.equal(rejected.statusCode, 400);
    assert.ok('status' in rejected.json());
    const edited = await creator.patch(`/api/v1/plios/${uuid}/`, { name: 'Published then edited', uuid: 'reassigned' });
    assert.equal(edited.statusCode, 200);
    assert.equal(edited.json().uuid, uuid);
    assert.equal(edited.json().status, 'published');
    assert.equal((await creator.get('/api/v1/plios/reassigned/')).statusCode, 404);
  });

  it('round-trips settings in both workspaces', async () => {
    for (const who of [creator, creatorInOrg]) {
      const uuid = (await who.post('/api/v1/plios/', { name: 'Configured plio' })).json().uuid;
      const written = await who.patch(`/api/v1/plios/${uuid}/setting/`, SETTINGS);
      assert.equal(written.statusCode, 200);
      assert.deepEqual(written.json().settings, SETTINGS);
      assert.deepEqual((await who.get(`/api/v1/plios/${uuid}/`)).json().config.settings, SETTINGS);
    }
  });

  it('hands the player the skip setting at play time', async () => {
    for (const skipEnabled of [true, false]) {
      const plio = await buildPlio(creator);
      await creator.patch(`/api/v1/plios/${plio.uuid}/setting/`, { player: { skipEnabled } });
      const played = await learner.get(`/api/v1/plios/${plio.uuid}/play/`);
      assert.equal(played.statusCode, 200);
      assert.equal(played.json().config.settings.player.skipEnabled, skipEnabled);
    }
  });

  it('refuses video URLs over 255 characters and stores good ones verbatim', async () => {
    const tooLong = await creator.post('/api/v1/videos/', { url: OVERLONG_URL, title: 'Too long', duration: 60 });
    assert.equal(tooLong.statusCode, 400);
    assert.ok(tooLong.json().url.length >= 1);
    const created = await creator.post('/api/v1/videos/', { url: VALID_URL, title: 'Fine', duration: 60 });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().url, VALID_URL);
    const refused = await creator.patch(`/api/v1/videos/${created.json().id}/`, { url: OVERLONG_URL });
    assert.equal(refused.statusCode, 400);
    assert.ok('url' in refused.json());
    assert.equal((await creator.get(`/api/v1/videos/${created.json().id}/`)).json().url, VALID_URL);
  });

  it('plays both arms of an experiment and records the learner’s arm', async () => {
    const experiment = (await creator.post('/api/v1/experiments/', { name: 'AB', description: 'split' })).json();
    const control = await buildPlio(creator);
    const variant = await buildPlio(creator);
    for (const plio of [control, variant]) await creator.post('/api/v1/experiment-plios/', { experiment: experiment.id, plio: plio.id, split_percentage: 50 });
    assert.equal((await learner.get(`/api/v1/plios/${control.uuid}/play/`)).json().uuid, control.uuid);
    assert.equal((await learner.get(`/api/v1/plios/${variant.uuid}/play/`)).json().uuid, variant.uuid);
    const session = await learner.post('/api/v1/sessions/', { plio: variant.id, experiment: experiment.id });
    assert.equal(session.statusCode, 201);
    assert.equal(session.json().experiment.id, experiment.id);
    assert.equal(session.json().plio.id, variant.id);
    const reread = (await learner.get(`/api/v1/sessions/${session.json().id}/`)).json();
    assert.equal(reread.experiment.id, experiment.id);
    assert.equal(reread.plio.id, variant.id);
  });

  it('resumes at the latest event, in the session and in the next one', async () => {
    const plio = await buildPlio(creator);
    const first = (await learner.post('/api/v1/sessions/', { plio: plio.id })).json();
    const record = async (session: number, type: string, playerTime: number) => {
      const response = await learner.post('/api/v1/events/', { session, type, player_time: playerTime });
      assert.equal(response.statusCode, 201);
      return response.json();
    };
    await record(first.id, 'played', 5);
    await record(first.id, 'paused', 12);
    const latest = await record(first.id, 'question_skipped', 20);
    const resumed = (await learner.get(`/api/v1/sessions/${first.id}/`)).json();
    assert.equal(resumed.last_event.id, latest.id);
    assert.equal(resumed.last_event.player_time, 20);
    const second = (await learner.post('/api/v1/sessions/', { plio: plio.id })).json();
    assert.equal(second.last_event.id, latest.id);
    assert.equal(second.last_event.type, 'question_skipped');
  });

  it('stores the watch time the player reports', async () => {
    const plio = await buildPlio(creator, { duration: 60 });
    const session = (await learner.post('/api/v1/sessions/', { plio: plio.id })).json();
    assert.equal((await learner.put(`/api/v1/sessions/${session.id}/`, { plio: plio.id, watch_time: 35.0 })).statusCode, 200);
    assert.equal((await learner.get(`/api/v1/sessions/${session.id}/`)).json().watch_time, 35);
  });
});
