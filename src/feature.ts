import type { FastifyInstance } from 'fastify';
import type { AppContext } from './app-context.ts';

/**
 * A product feature (accounts, content, learning, analytics) as the process
 * sees it: routes to mount and work to do at boot. Features live in their own
 * folders and are listed in `features.ts`; the tenancy core knows none of them.
 */
export interface Feature {
  readonly name: string;
  /** Idempotent work after migrations, before the server listens (seed rows...). */
  onBoot?(context: AppContext): Promise<void>;
  /** Mounts the feature's routes. */
  routes?(app: FastifyInstance, context: AppContext): Promise<void>;
  /** Releases what `onBoot` or `routes` opened. */
  onClose?(context: AppContext): Promise<void>;
}
