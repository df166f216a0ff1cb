import type { AppContext } from '../app-context.ts';
import type { Cache } from '../cache/index.ts';

/** What content and learning routes are given. */
export interface ContentDeps {
  readonly context: AppContext;
  readonly cache: Cache;
}
