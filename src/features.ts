import { accounts } from './accounts/feature.ts';
import { analytics } from './analytics/feature.ts';
import type { Feature } from './feature.ts';

/** The product features, in the order they boot and mount. */
export const features: readonly Feature[] = Object.freeze([accounts, analytics]);
