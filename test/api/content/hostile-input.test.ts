/** Hostile values in every field of every content and learning resource: always a 4xx (or a success), never a 500. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from '../../support/app.ts';
import { createUser } from '../../support/users.ts';
import { buildPlio, client, type Client, type Method } from './fixtures.ts';

const deep = (depth: number): unknown => (depth === 0 ? 'bottom' : { next: deep(depth - 1) });

const HOSTILE: unknown[] = [
  null,
  '',
  'x'.repeat(70_000),
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 63,
  Number.MAX_SAFE_INTEGER,
  'NaN',
  'Infinity',
  true,
  [],
  [1, 'two', null],
  {},
  { '0': 'x', nested: [1, { a: null }] },
  deep(200),
  'nul\u0000byte',
  "'; drop table plio; --",
  '💥 ünïcødé \u202e',
];

const FIELDS: Record<string, string[]> = {
  '/api/v1/plios/': ['name', 'failsafe_url', 'status', 'is_public', 'config', 'video', 'created_by', 'uuid'],
  '/api/v1/items/': ['plio', 'type', 'time', 'meta'],
  '/api/v1/questions/': ['item', 'text', 'type', 'options', 'option_images', 'correct_answer', 'survey', 'image', 'has_char_limit', 'max_char_limit'],
  '/api/v1/videos/': ['url', 'title', 'duration'],
  '/api/v1/tags/': ['name', 'slug'],
  '/api/v1/experiments/': ['name', 'description', 'is_test', 'type'],
  '/api/v1/experiment-plios/': ['experiment', 'plio', 'split_percentage'],
  '/api/v1/sessions/': ['plio', 'experiment', 'retention', 'watch_time', 'has_video_played'],
  '/api/v1/session-answers/': ['session', 'item', 'answer'],
  '/api/v1/events/': ['type', 'player_time', 'details', 'session'],
};

describe('hostile input', () => {
  let app: TestApp;
  let creator: Client;
  const valid: Record<string, Record<string, unknown>> = {};
  const detail: Record<string, string> = {};
  before(async () => {
    app = await startApp();
    creator = client(app, await createUser(app));
    const plio = await buildPlio(creator, { questions: [{ time: 1 }] });
    const session = (await creator.post('/api/v1/sessions/', { plio: plio.id })).json();
    const experiment = (await creator.post('/api/v1/experiments/', { name: 'e', description: 'd' })).json();
    const tag = (await creator.post('/api/v1/tags/', { name: 'tag' })).json();
    const link = (await creator.post('/api/v1/experiment-plios/', { experiment: experiment.id, plio: plio.id, split_percentage: 10 })).json();
    const event = (await creator.post('/api/v1/events/', { session: session.id, type: 'played', player_time: 1 })).json();
    Object.assign(valid, {
      '/api/v1/plios/': { name: 'p' },
      '/api/v1/items/': { plio: plio.id, time: 2 },
      '/api/v1/questions/': { item: plio.items[0]!.id, text: 'q' },
      '/api/v1/videos/': { url: 'https://x.y/z' },
      '/api/v1/tags/': { name: 'n' },
      '/api/v1/experiments/': { name: 'n', description: 'd' },
      '/api/v1/experiment-plios/': { experiment: experiment.id, plio: plio.id, split_percentage: 5 },
      '/api/v1/sessions/': { plio: plio.id },
      '/api/v1/session-answers/': { session: session.id, item: plio.items[0]!.id, answer: 1 },
      '/api/v1/events/': { session: session.id, type: 'paused', player_time: 3 },
    });
    Object.assign(detail, {
      '/api/v1/plios/': `/api/v1/plios/${plio.uuid}/`,
      '/api/v1/items/': `/api/v1/items/${plio.items[0]!.id}/`,
      '/api/v1/questions/': `/api/v1/questions/${plio.items[0]!.questionId}/`,
      '/api/v1/videos/': `/api/v1/videos/${plio.videoId}/`,
      '/api/v1/tags/': `/api/v1/tags/${tag.id}/`,
      '/api/v1/experiments/': `/api/v1/experiments/${experiment.id}/`,
      '/api/v1/experiment-plios/': `/api/v1/experiment-plios/${link.id}/`,
      '/api/v1/sessions/': `/api/v1/sessions/${session.id}/`,
      '/api/v1/session-answers/': `/api/v1/session-answers/${session.session_answers[0].id}/`,
      '/api/v1/events/': `/api/v1/events/${event.id}/`,
    });
  });
  after(() => app.close());

  const assertNo500 = async (method: Method, url: string, body?: unknown) => {
    const response = await creator.request(method, url, body);
    assert.ok(response.statusCode < 500, `${method} ${url} ${JSON.stringify(body)?.slice(0, 120)} answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
  };

  for (const [collection, fields] of Object.entries(FIELDS)) {
    it(`${collection}: every field, created and edited`, async () => {
      for (const field of fields) {
        for (const value of HOSTILE) {
          const body = { ...valid[collection], [field]: value };
          await assertNo500('POST', collection, body);
          await assertNo500('PATCH', detail[collection]!, { [field]: value });
          await assertNo500('PUT', detail[collection]!, body);
        }
      }
    });
  }

  it('hostile paths, query strings and bodies', async () => {
    const paths = ['%00', '99999999999999999999', '-1', '1.5', "1'or'1'='1", 'x'.repeat(5000), '%E2%80%AE', '..%2F..'];
    for (const collection of Object.keys(FIELDS)) {
      for (const path of paths) {
        for (const method of ['GET', 'PATCH', 'PUT', 'DELETE'] as const) await assertNo500(method, `${collection}${path}/`, method === 'GET' || method === 'DELETE' ? undefined : {});
      }
      for (const query of ['?page=-1', '?page=99999999999999', '?ordering=;drop', '?ordering=-', '?search=%00', `?search=${'%25'.repeat(300)}`, '?plio=%00', `?plio=${'y'.repeat(100)}`, '?page[]=1']) {
        await assertNo500('GET', `${collection}${query}`);
      }
      for (const body of ['not json', '[]', '"string"', '12', 'null']) {
        const response = await app.request({ method: 'POST', url: collection, headers: { ...(await createUser(app)).headers(), 'content-type': 'application/json' }, payload: body });
        assert.ok(response.statusCode < 500, `POST ${collection} ${body}: ${response.statusCode} ${response.body}`);
      }
    }
    for (const suffix of ['setting/', 'play/', 'duplicate/', 'copy/']) {
      for (const value of HOSTILE) {
        for (const method of ['POST', 'PATCH'] as const) await assertNo500(method, `${detail['/api/v1/plios/']}${suffix}`, { workspace: value, settings: value });
      }
    }
    for (const value of HOSTILE) await assertNo500('DELETE', '/api/v1/items/bulk_delete/', { id: value });
    await assertNo500('DELETE', '/api/v1/items/bulk_delete/', { id: HOSTILE });
  });
});
