import { cacheFor } from '../cache/index.ts';
import type { ContentDeps } from '../content/content-deps.ts';
import { requireSignInBeforeValidation } from '../content/http.ts';
import type { Feature } from '../feature.ts';
import { answerRoutes } from './answers-routes.ts';
import { eventRoutes } from './events-routes.ts';
import { sessionRoutes } from './sessions-routes.ts';

/** Sessions, session answers and events: what learners leave behind. Mounts after content (it shares its cache). */
export const learning: Feature = {
  name: 'learning',
  async routes(app, context) {
    const deps: ContentDeps = { context, cache: cacheFor(context) };
    await app.register(async (scoped) => {
      requireSignInBeforeValidation(scoped);
      for (const routes of [sessionRoutes, answerRoutes, eventRoutes]) await routes(scoped, deps);
    });
  },
};
