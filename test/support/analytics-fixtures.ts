import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { withRetentionFacts } from '../../src/learning/retention-facts.ts';
import type { TestApp } from './app.ts';

/**
 * Seeds what the analytics endpoints read (videos, plios, questions,
 * sessions, answers, events) straight into a workspace's tables: the routes
 * that create them belong to other features. `schema` is the workspace
 * (`public` for the personal one, an organization's schema otherwise).
 */
export function analyticsFixtures(app: TestApp, schema = 'public') {
  const db = app.context.db;
  const tenant = db.withSchema(schema);
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  // A workspace at a version before tenant migration 0002 (an older archive's) has no retention facts to store.
  let factColumns: Promise<boolean> | undefined;
  const storesRetentionFacts = () =>
    (factColumns ??= sql<{ found: boolean }>`
      select exists (select 1 from information_schema.columns
        where table_schema = ${schema} and table_name = 'session' and column_name = 'retention_seconds') as found`
      .execute(db)
      .then(({ rows }) => rows[0]!.found));

  return {
    /** A user with any mix of identities (email, mobile, SSO id and organization). */
    async learner(fields: { email?: string | null; mobile?: string | null; uniqueId?: string; authOrgId?: number } = {}) {
      const row = await db
        .insertInto('public.user')
        .values({
          email: fields.email === undefined ? `learner-${randomBytes(5).toString('hex')}@example.org` : fields.email,
          mobile: fields.mobile ?? null,
          unique_id: fields.uniqueId ?? null,
          auth_org_id: fields.authOrgId ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    /** A plio, with a video of the given duration and URL unless `video: false`. */
    async plio(fields: {
      createdBy: number;
      name?: string;
      status?: 'draft' | 'published';
      isPublic?: boolean;
      video?: false | { url?: string; duration?: number | null };
    }) {
      const video =
        fields.video === false
          ? null
          : await tenant
              .insertInto('video')
              .values({ url: fields.video?.url ?? 'https://www.youtube.com/watch?v=fixture0001', duration: fields.video?.duration ?? 30 })
              .returning('id')
              .executeTakeFirstOrThrow();
      const plio = await tenant
        .insertInto('plio')
        .values({
          uuid: randomBytes(5).toString('hex'),
          name: fields.name ?? 'Fixture plio',
          created_by_id: fields.createdBy,
          status: fields.status ?? 'published',
          is_public: fields.isPublic ?? true,
          video_id: video?.id ?? null,
        })
        .returning(['id', 'uuid', 'video_id'])
        .executeTakeFirstOrThrow();
      return plio;
    },

    /** An item at `time` holding one question; returns the item's id. */
    async question(
      plioId: number,
      fields: {
        time: number;
        type?: 'mcq' | 'checkbox' | 'subjective';
        text?: string;
        options?: unknown[] | null;
        correctAnswer?: unknown;
        survey?: boolean;
      },
    ) {
      const type = fields.type ?? 'mcq';
      const item = await tenant.insertInto('item').values({ plio_id: plioId, time: fields.time }).returning('id').executeTakeFirstOrThrow();
      await tenant
        .insertInto('question')
        .values({
          item_id: item.id,
          type,
          text: fields.text ?? 'A question',
          options: json(fields.options === undefined ? (type === 'subjective' ? null : ['A', 'B', 'C']) : fields.options),
          correct_answer: json(fields.correctAnswer === undefined ? (type === 'subjective' ? null : type === 'mcq' ? 0 : [0]) : fields.correctAnswer),
          survey: fields.survey ?? false,
        })
        .execute();
      return item.id;
    },

    async session(plioId: number, userId: number, fields: { watchTime?: number; retention?: string } = {}) {
      const row = await tenant
        .insertInto('session')
        .values({ plio_id: plioId, user_id: userId, watch_time: fields.watchTime ?? 0, ...((await storesRetentionFacts()) ? withRetentionFacts(fields.retention ?? '') : { retention: fields.retention ?? '' }) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    /** A session's answer to an item; `null` (the default) is an unanswered question. */
    async answer(sessionId: number, itemId: number, answer: unknown = null) {
      const row = await tenant
        .insertInto('session_answer')
        .values({ session_id: sessionId, item_id: itemId, answer: json(answer) })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async event(sessionId: number, fields: { type: string; playerTime: number; details?: Record<string, unknown> }) {
      await tenant
        .insertInto('event')
        .values({ session_id: sessionId, type: fields.type, player_time: fields.playerTime, details: json(fields.details ?? {}) })
        .execute();
    },

    /** Soft-deletes a row, as the reference's delete does. */
    async softDelete(table: 'session' | 'session_answer' | 'event' | 'item' | 'question' | 'plio', id: number) {
      await tenant.updateTable(table).set({ deleted_at: new Date() }).where('id', '=', id).execute();
    },

    /** Soft-deletes the question held by an item. */
    async softDeleteQuestionOf(itemId: number) {
      await tenant.updateTable('question').set({ deleted_at: new Date() }).where('item_id', '=', itemId).execute();
    },
  };
}

export type AnalyticsFixtures = ReturnType<typeof analyticsFixtures>;
