/**
 * Process configuration, read once from the environment.
 *
 * Every variable is optional. A value that cannot be used stops the boot with
 * a {@link ConfigError} whose message is one line naming the variable, so an
 * operator never has to read a stack trace to find a typo.
 */

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
  mediaRoot: string;
  s3: S3Config | undefined;
  google: { clientId: string | undefined; tokenInfoUrl: string };
  logLevel: LogLevel;
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

  const bucket = read('AWS_STORAGE_BUCKET_NAME');
  const shortcode = read('DEFAULT_TENANT_SHORTCODE') ?? 'plio';
  const host = read('HOST') ?? '127.0.0.1';
  const listenPort = port('PORT', read('PORT') ?? '8001');

  return Object.freeze({
    databaseUrl,
    databaseListenUrl,
    dataDir: read('DATA_DIR') ?? 'data',
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
    mediaRoot: read('MEDIA_ROOT') ?? 'media',
    s3: bucket ? { bucket, region: read('AWS_REGION'), endpoint: read('AWS_S3_ENDPOINT_URL') } : undefined,
    google: {
      clientId: read('GOOGLE_OAUTH2_CLIENT_ID'),
      tokenInfoUrl: httpUrl('GOOGLE_TOKENINFO_URL', read('GOOGLE_TOKENINFO_URL') ?? 'https://oauth2.googleapis.com/tokeninfo'),
    },
    logLevel: oneOf('LOG_LEVEL', read('LOG_LEVEL') ?? 'info', LOG_LEVELS),
  });
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

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
}
