import { accounts } from './accounts/feature.ts';
import { analytics } from './analytics/feature.ts';
import { consoleFeature } from './console/feature.ts';
import { content } from './content/feature.ts';
import type { Feature } from './feature.ts';
import { learning } from './learning/feature.ts';

/**
 * The product features, in the order they boot and mount. Learning uses the
 * cache content opens, so it comes after content; the operator console uses
 * what accounts opens.
 */
export const features: readonly Feature[] = Object.freeze([accounts, content, learning, analytics, consoleFeature]);
