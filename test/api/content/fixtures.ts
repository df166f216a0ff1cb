/** Shared helpers for the content and learning API tests: a tiny client, plio builders, a media folder. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from '../../support/app.ts';
import type { TestUser } from '../../support/users.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Client {
  request(method: Method, url: string, body?: unknown): ReturnType<TestApp['request']>;
  get(url: string): ReturnType<TestApp['request']>;
  post(url: string, body?: unknown): ReturnType<TestApp['request']>;
  put(url: string, body?: unknown): ReturnType<TestApp['request']>;
  patch(url: string, body?: unknown): ReturnType<TestApp['request']>;
  delete(url: string, body?: unknown): ReturnType<TestApp['request']>;
}

/** Requests as `user` (anonymous when undefined) in a workspace (`organization` header; personal when undefined). */
export function client(app: TestApp, user: TestUser | undefined, organization?: string): Client {
  const headers = { ...(user ? user.headers(organization) : organization !== undefined ? { organization } : {}) };
  const request = (method: Method, url: string, body?: unknown) =>
    app.request({ method, url, headers, ...(body !== undefined && { payload: body as object }) });
  return {
    request,
    get: (url) => request('GET', url),
    post: (url, body) => request('POST', url, body),
    put: (url, body) => request('PUT', url, body),
    patch: (url, body) => request('PATCH', url, body),
    delete: (url, body) => request('DELETE', url, body),
  };
}

export interface PlioSpec {
  name?: string;
  duration?: number | null;
  published?: boolean;
  isPublic?: boolean;
  questions?: { time: number; type?: 'mcq' | 'checkbox' | 'subjective'; text?: string; correct_answer?: unknown }[];
}

export interface BuiltPlio {
  id: number;
  uuid: string;
  videoId: number | null;
  items: { id: number; questionId: number }[];
}

/** Builds a plio through the API as its creator would: video, plio, items, questions. */
export async function buildPlio(creator: Client, spec: PlioSpec = {}): Promise<BuiltPlio> {
  let videoId: number | null = null;
  if (spec.duration !== null) {
    const video = await creator.post('/api/v1/videos/', { url: 'https://youtube.com/watch?v=abc', title: 'Video', duration: spec.duration ?? 3 });
    if (video.statusCode !== 201) throw new Error(`video: ${video.statusCode} ${video.body}`);
    videoId = video.json().id;
  }
  const created = await creator.post('/api/v1/plios/', {
    name: spec.name ?? 'A plio',
    video: videoId,
    status: spec.published === false ? 'draft' : 'published',
    is_public: spec.isPublic ?? true,
  });
  if (created.statusCode !== 201) throw new Error(`plio: ${created.statusCode} ${created.body}`);
  const plio = created.json();
  const items: BuiltPlio['items'] = [];
  for (const question of spec.questions ?? []) {
    const item = await creator.post('/api/v1/items/', { plio: plio.id, time: question.time, type: 'question' });
    if (item.statusCode !== 201) throw new Error(`item: ${item.statusCode} ${item.body}`);
    const created = await creator.post('/api/v1/questions/', {
      item: item.json().id,
      type: question.type ?? 'mcq',
      text: question.text ?? `Question at ${question.time}`,
      options: question.type === 'subjective' ? null : ['A', 'B', 'C'],
      correct_answer: question.correct_answer ?? (question.type === 'subjective' ? null : 0),
    });
    if (created.statusCode !== 201) throw new Error(`question: ${created.statusCode} ${created.body}`);
    items.push({ id: item.json().id, questionId: created.json().id });
  }
  return { id: plio.id, uuid: plio.uuid, videoId, items };
}

/** A temporary `MEDIA_ROOT` for uploads, removed by `remove()`. */
export async function temporaryMediaRoot(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'plio-media-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
