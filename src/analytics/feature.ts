import type { Feature } from '../feature.ts';
import { analyticsRoutes } from './analytics-routes.ts';

/** A plio's metrics and its downloadable report. */
export const analytics: Feature = {
  name: 'analytics',
  routes: analyticsRoutes,
};
