import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config, LimitRule, RateLimits } from '../config.ts';
import { errors } from '../errors.ts';

/**
 * One abuse limit (docs/security.md): at most N events per window for one
 * key (an account, a mobile number, a client address), counted by
 * `rate-limiter-flexible` in Redis when `REDIS_URL` is set, so every server
 * instance counts into the same window, and in process memory otherwise.
 *
 * An attempt is counted *before* it is checked ({@link take}) and given
 * back when it turned out legitimate ({@link refund}): counting first is
 * what makes the limit hold under concurrency (of a burst of 80, exactly N
 * are let through), where "check, then count the failure" lets the whole
 * burst pass the check at once.
 */
export interface AbuseLimit {
  /** Counts one event for `key`; throws the 429 (with `Retry-After`) when the window's events are spent. */
  take(key: string): Promise<void>;
  /** Gives back an event {@link take} counted. */
  refund(key: string): Promise<void>;
  /** Forgets every event of `key` (a right password clears the wrong ones before it). */
  reset(key: string): Promise<void>;
}

export type AbuseLimits = Readonly<Record<keyof RateLimits, AbuseLimit>> & { close(): Promise<void> };

/** What each refusal says (the catalog adds when to try again). */
const REFUSALS: Readonly<Record<keyof RateLimits, string>> = {
  passwordAccount: 'Too many failed sign-ins for this account.',
  refreshAccount: 'Too many token refreshes for this account.',
  failedLoginsAddress: 'Too many failed sign-ins from this address.',
  otpMobile: 'Too many OTP requests for this mobile number.',
  otpAddress: 'Too many OTP requests from this address.',
};

const KEY_PREFIX = 'plio:limit:';

/** The limits of `config.rateLimits`, in Redis when `config.redisUrl` is set. Close them with the app. */
export async function createAbuseLimits(config: Pick<Config, 'rateLimits' | 'redisUrl'>, log: Logger): Promise<AbuseLimits> {
  const redis = config.redisUrl ? await connect(config.redisUrl, log) : undefined;
  const limits = Object.fromEntries(
    (Object.keys(REFUSALS) as (keyof RateLimits)[]).map((name) => {
      const rule = config.rateLimits[name];
      return [name, rule ? limit(limiter(name, rule, redis), REFUSALS[name]) : UNLIMITED];
    }),
  ) as Record<keyof RateLimits, AbuseLimit>;
  return Object.freeze({
    ...limits,
    async close() {
      // Never connected (or lost): stop reconnecting, or the process stays alive.
      if (redis?.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis?.disconnect();
    },
  });
}

const UNLIMITED: AbuseLimit = Object.freeze({ take: async () => {}, refund: async () => {}, reset: async () => {} });

function limiter(name: string, rule: LimitRule, redis: Redis | undefined): RateLimiterAbstract {
  const options = { keyPrefix: `${KEY_PREFIX}${name}`, points: rule.points, duration: rule.seconds };
  const memory = new RateLimiterMemory(options);
  // While Redis is unreachable, each instance keeps counting in its own memory:
  // the limit loosens to N per instance for that time instead of failing logins.
  return redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
}

function limit(store: RateLimiterAbstract, refusal: string): AbuseLimit {
  return {
    async take(key) {
      try {
        await store.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw errors.rateLimited(refusal, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
    },
    async refund(key) {
      await store.reward(key, 1);
    },
    async reset(key) {
      await store.delete(key);
    },
  };
}

/**
 * A connection that fails commands at once while Redis is away (no offline
 * queue), so the memory insurance answers instead of a request hanging.
 */
async function connect(url: string, log: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    log.warn({ err: error }, 'Redis is unreachable: abuse limits count in this process until it is back');
  }
  return redis;
}

/**
 * Runs a sign-in attempt counted against `limit` for `key` (the client
 * address): counted before it runs, given back when it succeeds, so only
 * failures use the limit up.
 */
export async function countingFailures<T>(limit: AbuseLimit, key: string, attempt: () => Promise<T>): Promise<T> {
  await limit.take(key);
  const result = await attempt();
  await limit.refund(key);
  return result;
}
