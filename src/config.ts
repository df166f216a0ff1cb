/**
 * Process configuration, read once from the environment.
 *
 * Every variable is optional. A value that cannot be used stops the boot with
 * a {@link ConfigError} whose message is one line naming the variable, so an
 * operator never has to read a stack trace to find a typo.
 */

import { getCountryCodeForRegionCode } from 'awesome-phonenumber';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

export type SmsDriverName = 'log' | 'outbox' | 'sns';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface S3Config {
  bucket: string;
  region: string | undefined;
  endpoint: string | undefined;
}

/** One abuse limit: at most `points` counted events per `seconds` for one key. */
export interface LimitRule {
  points: number;
  seconds: number;
}

/**
 * The abuse limits (docs/security.md): `undefined` turns one off. Each is
 * `RATE_LIMIT_<NAME>` in the environment, as `10/15m` or `off`.
 */
export interface RateLimits {
  /** Wrong passwords per account (email). */
  passwordAccount: LimitRule | undefined;
  /** Refresh grants per account. */
  refreshAccount: LimitRule | undefined;
  /** Failed logins of any kind (password, refresh, Google, SSO, client secret) per client address. */
  failedLoginsAddress: LimitRule | undefined;
  /** OTP requests per mobile number (E.164). */
  otpMobile: LimitRule | undefined;
  /** OTP requests per client address. */
  otpAddress: LimitRule | undefined;
}

const RATE_LIMIT_DEFAULTS: Readonly<Record<keyof RateLimits, [variable: string, rule: string]>> = {
  passwordAccount: ['RATE_LIMIT_PASSWORD_ACCOUNT', '10/15m'],
  refreshAccount: ['RATE_LIMIT_REFRESH_ACCOUNT', '60/15m'],
  failedLoginsAddress: ['RATE_LIMIT_FAILED_LOGINS_ADDRESS', '100/15m'],
  otpMobile: ['RATE_LIMIT_OTP_MOBILE', '5/15m'],
  otpAddress: ['RATE_LIMIT_OTP_ADDRESS', '300/1h'],
};

/** Fastify's `trustProxy`: whose `X-Forwarded-For` decides the client address. */
export type TrustProxy = boolean | number | string[];

export interface Config {
  /** PostgreSQL URL; unset means the embedded database under {@link dataDir}. */
  databaseUrl: string | undefined;
  /**
   * Where the process LISTENs for other processes' changes; `databaseUrl`
   * when unset. LISTEN needs a session of its own: behind a pooler in
   * transaction mode, point this at the server (or a session-mode pool).
   */
  databaseListenUrl: string | undefined;
  dataDir: string;
  /** Bounds on waiting for the database, applied by the server (not by operator commands). */
  databaseTimeouts: DatabaseTimeouts;
  host: string;
  port: number;
  /**
   * Where clients reach this server (`PUBLIC_URL`, no trailing slash): the
   * base of every URL the server builds (uploaded images, list page links),
   * never the request's `Host` header, which any client can set.
   */
  publicUrl: string;
  defaultTenant: { name: string; shortcode: string; domain: string };
  /** `undefined` allows any origin. */
  corsOrigins: string[] | undefined;
  superuser: { email: string; password: string } | undefined;
  oauthClient: { id: string; secret: string } | undefined;
  sms: { driver: SmsDriverName; outboxFile: string | undefined };
  redisUrl: string | undefined;
  /** What the in-process cache may hold (without Redis), in bytes. */
  cacheMemoryBytes: number;
  mediaRoot: string;
  s3: S3Config | undefined;
  google: { clientId: string | undefined; tokenInfoUrl: string };
  logLevel: LogLevel;
  /** `NODE_ENV=production`: settings that development may leave out become required. */
  production: boolean;
  /** Key of the keyed hashes of tokens and OTPs; unset: see `src/secret-key.ts`. */
  secretKey: string | undefined;
  rateLimits: RateLimits;
  trustProxy: TrustProxy;
  /** Region (ISO 3166 code) of mobile numbers given without a country code. */
  phoneRegion: string;
}

/**
 * How long the server waits for the database before answering 503 (all in
 * milliseconds; 0 means no bound).
 */
export interface DatabaseTimeouts {
  /** Opening a new connection (TCP and PostgreSQL's startup). */
  connectMs: number;
  /**
   * One statement: PostgreSQL cancels it (`statement_timeout`), and the
   * client gives up on a connection that stays silent a second longer (a
   * frozen or unreachable server cancels nothing).
   */
  statementMs: number;
  /** Waiting for a free pooled connection (or the embedded database's one session). */
  acquireMs: number;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SMS_DRIVERS: readonly SmsDriverName[] = ['log', 'outbox', 'sns'];

/** Reads the configuration from `env` (the process environment by default). */
export function loadConfig(env: Env = process.env): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined) assertPostgresUrl('DATABASE_URL', databaseUrl);
  const databaseListenUrl = read('DATABASE_LISTEN_URL');
  if (databaseListenUrl !== undefined) {
    if (databaseUrl === undefined) throw new ConfigError('DATABASE_LISTEN_URL', 'only means something with DATABASE_URL set');
    assertPostgresUrl('DATABASE_LISTEN_URL', databaseListenUrl);
  }

  const superuserEmail = read('SUPERUSER_EMAIL');
  const superuserPassword = read('SUPERUSER_PASSWORD');
  if ((superuserEmail === undefined) !== (superuserPassword === undefined)) {
    throw new ConfigError(
      superuserEmail === undefined ? 'SUPERUSER_EMAIL' : 'SUPERUSER_PASSWORD',
      'SUPERUSER_EMAIL and SUPERUSER_PASSWORD must be set together',
    );
  }
  const clientId = read('DEFAULT_OAUTH2_CLIENT_ID');
  const clientSecret = read('DEFAULT_OAUTH2_CLIENT_SECRET');
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new ConfigError(
      clientId === undefined ? 'DEFAULT_OAUTH2_CLIENT_ID' : 'DEFAULT_OAUTH2_CLIENT_SECRET',
      'DEFAULT_OAUTH2_CLIENT_ID and DEFAULT_OAUTH2_CLIENT_SECRET must be set together',
    );
  }

  const smsDriver = oneOf('SMS_DRIVER', read('SMS_DRIVER') ?? 'log', SMS_DRIVERS);
  const outboxFile = read('SMS_OUTBOX_FILE');
  if (smsDriver === 'outbox' && outboxFile === undefined) {
    throw new ConfigError('SMS_OUTBOX_FILE', 'required when SMS_DRIVER=outbox');
  }

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', `expected redis://host:port, got "${redisUrl}"`);
  }

  const production = read('NODE_ENV') === 'production';
  const secretKey = read('SECRET_KEY');
  if (secretKey !== undefined && secretKey.length < MIN_SECRET_KEY_LENGTH) {
    throw new ConfigError('SECRET_KEY', `use at least ${MIN_SECRET_KEY_LENGTH} characters (e.g. openssl rand -hex 32)`);
  }
  if (secretKey === undefined && databaseUrl !== undefined && production) {
    throw new ConfigError('SECRET_KEY', 'required when DATABASE_URL is set and NODE_ENV=production (e.g. openssl rand -hex 32)');
  }

  const rateLimits = Object.fromEntries(
    Object.entries(RATE_LIMIT_DEFAULTS).map(([name, [variable, fallback]]) => [name, limitRule(variable, read(variable) ?? fallback)]),
  ) as unknown as RateLimits;

  const phoneRegion = (read('PHONE_DEFAULT_REGION') ?? 'IN').toUpperCase();
  if (getCountryCodeForRegionCode(phoneRegion) === 0) {
    throw new ConfigError('PHONE_DEFAULT_REGION', `expected a region code such as IN or US, got "${phoneRegion}"`);
  }

  const bucket = read('AWS_STORAGE_BUCKET_NAME');
  const shortcode = read('DEFAULT_TENANT_SHORTCODE') ?? 'plio';
  const host = read('HOST') ?? '127.0.0.1';
  const listenPort = port('PORT', read('PORT') ?? '8001');

  return Object.freeze({
    databaseUrl,
    databaseListenUrl,
    dataDir: read('DATA_DIR') ?? 'data',
    databaseTimeouts: Object.freeze({
      connectMs: milliseconds('DATABASE_CONNECT_TIMEOUT_MS', read('DATABASE_CONNECT_TIMEOUT_MS') ?? '5000'),
      statementMs: milliseconds('DATABASE_STATEMENT_TIMEOUT_MS', read('DATABASE_STATEMENT_TIMEOUT_MS') ?? '10000'),
      acquireMs: milliseconds('DATABASE_ACQUIRE_TIMEOUT_MS', read('DATABASE_ACQUIRE_TIMEOUT_MS') ?? '5000'),
    }),
    host,
    port: listenPort,
    publicUrl: publicUrl('PUBLIC_URL', read('PUBLIC_URL') ?? `http://${host.includes(':') ? `[${host}]` : host}:${listenPort}`),
    defaultTenant: {
      name: read('DEFAULT_TENANT_NAME') ?? 'Plio',
      shortcode,
      domain: read('DEFAULT_TENANT_DOMAIN') ?? 'localhost',
    },
    corsOrigins: read('CORS_ORIGINS')
      ?.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    superuser: superuserEmail && superuserPassword ? { email: superuserEmail, password: superuserPassword } : undefined,
    oauthClient: clientId && clientSecret ? { id: clientId, secret: clientSecret } : undefined,
    sms: { driver: smsDriver, outboxFile },
    redisUrl,
    cacheMemoryBytes: megabytes('CACHE_MEMORY_MB', read('CACHE_MEMORY_MB') ?? '256'),
    mediaRoot: read('MEDIA_ROOT') ?? 'media',
    s3: bucket ? { bucket, region: read('AWS_REGION'), endpoint: read('AWS_S3_ENDPOINT_URL') } : undefined,
    google: {
      clientId: read('GOOGLE_OAUTH2_CLIENT_ID'),
      tokenInfoUrl: httpUrl('GOOGLE_TOKENINFO_URL', read('GOOGLE_TOKENINFO_URL') ?? 'https://oauth2.googleapis.com/tokeninfo'),
    },
    logLevel: oneOf('LOG_LEVEL', read('LOG_LEVEL') ?? 'info', LOG_LEVELS),
    production,
    secretKey,
    rateLimits: Object.freeze(rateLimits),
    trustProxy: trustProxy('TRUST_PROXY', read('TRUST_PROXY')),
    phoneRegion,
  });
}

const MIN_SECRET_KEY_LENGTH = 32;
const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

/** `10/15m` (10 per 15 minutes; units s, m, h) or `off`. */
function limitRule(name: string, value: string): LimitRule | undefined {
  if (value === 'off') return undefined;
  const match = /^(\d{1,9})\/(\d{1,6})([smh])$/.exec(value);
  const points = Number(match?.[1]);
  const seconds = Number(match?.[2]) * DURATION_UNITS[match?.[3] ?? '']!;
  if (!match || points < 1 || seconds < 1) {
    throw new ConfigError(name, `expected a count per duration such as 10/15m (units s, m, h) or "off", got "${value}"`);
  }
  return Object.freeze({ points, seconds });
}

/** Unset: no proxy; `true`; a number of proxy hops; or a comma-separated list of proxy addresses or CIDRs. */
function trustProxy(name: string, value: string | undefined): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const addresses = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (addresses.length === 0 || addresses.some((entry) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry))) {
    throw new ConfigError(name, `expected true, a number of hops or a list of addresses/CIDRs, got "${value}"`);
  }
  return addresses;
}

function assertPostgresUrl(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'not a URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `expected a postgres:// URL, got "${url.protocol}//"`);
  }
}

function httpUrl(name: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new ConfigError(name, `expected an http(s) URL, got "${value}"`);
}

/** An http(s) base URL with no query, fragment or credentials; answered without a trailing slash. */
function publicUrl(name: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(name, `expected an http(s) URL such as https://plio.example.org, got "${value}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, `expected a base URL without query, fragment or credentials, got "${value}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

function port(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new ConfigError(name, `expected a port number 0-65535, got "${value}"`);
  }
  return parsed;
}

/** A duration in whole milliseconds, 0 (no bound) up to a day. */
function milliseconds(name: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > 86_400_000) {
    throw new ConfigError(name, `expected a whole number of milliseconds (0 for no limit, at most 86400000), got "${value}"`);
  }
  return parsed;
}

function megabytes(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new ConfigError(name, `expected a whole number of megabytes (at least 1), got "${value}"`);
  return parsed * 1024 * 1024;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
}
