/**
 * The Redis that tests use. Keys name schemas and ids, not the installation,
 * so two test runs sharing one Redis database would read each other's cached
 * rows: give each concurrent run its own (`TEST_REDIS_URL=redis://127.0.0.1:6379/3`).
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
