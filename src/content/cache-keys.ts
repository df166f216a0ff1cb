/** The content feature's cache keys: the one place they are spelled. */
import { cacheKey } from '../cache/index.ts';

/** A plio as cached: its access facts and its JSON without the creator. */
export const plioKey = (schema: string, uuid: string) => cacheKey(schema, 'plio', uuid);

/**
 * The workspace's list pages: a page is stored under this key's version, so
 * invalidating this one key retires every cached page of the workspace.
 */
export const plioListsKey = (schema: string) => cacheKey(schema, 'plio-lists', 'all');
