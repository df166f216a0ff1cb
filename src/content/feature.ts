import { closeCache, openCache } from '../cache/index.ts';
import type { Feature } from '../feature.ts';
import type { ContentDeps } from './content-deps.ts';
import { experimentRoutes } from './experiments-routes.ts';
import { requireSignInBeforeValidation } from './http.ts';
import { imageRoutes } from './images-routes.ts';
import { itemRoutes } from './items-routes.ts';
import { plioRoutes } from './plios-routes.ts';
import { questionRoutes } from './questions-routes.ts';
import { tagRoutes } from './tags-routes.ts';
import { videoRoutes } from './videos-routes.ts';

/** Videos, plios, items, questions, images, tags and experiments: what creators make. */
export const content: Feature = {
  name: 'content',
  async onBoot(context) {
    await openCache(context);
  },
  async routes(app, context) {
    const deps: ContentDeps = { context, cache: await openCache(context) };
    await app.register(async (scoped) => {
      requireSignInBeforeValidation(scoped);
      for (const routes of [plioRoutes, itemRoutes, questionRoutes, videoRoutes, imageRoutes, tagRoutes, experimentRoutes]) {
        await routes(scoped, deps);
      }
    });
  },
  async onClose(context) {
    await closeCache(context);
  },
};
