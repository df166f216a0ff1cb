import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { DB } from './db/schema.ts';

/** What a keyed hash stands for: the purpose is hashed in, so a token's hash can never pass for an OTP's. */
export type HashPurpose = 'token' | 'otp';

/** The file in `DATA_DIR` that keeps the embedded installation's key. */
export const SECRET_KEY_FILE = 'secret-key';

/**
 * The installation's secret key (`SECRET_KEY`). Tokens and one-time
 * passwords are stored as an HMAC under it, so the database alone — a
 * dump, a backup, a leaked table — reveals no live code and no usable token:
 * a 6-digit code's unkeyed hash is found by trying all million codes.
 */
export class SecretKey {
  readonly #key: Buffer;

  constructor(key: string) {
    this.#key = Buffer.from(key, 'utf8');
  }

  /** HMAC-SHA256 of `value` for `purpose`, as 64 hex characters (the stored hash columns' size). */
  hash(purpose: HashPurpose, value: string): string {
    return createHmac('sha256', this.#key).update(purpose).update('\0').update(value).digest('hex');
  }
}

/**
 * The key every instance of this installation shares:
 *
 * - `SECRET_KEY` when set (required with `DATABASE_URL` and
 *   `NODE_ENV=production`: `loadConfig` refuses to start without it);
 * - on the embedded database, a key generated once into `DATA_DIR/secret-key`
 *   (mode 0600), beside the data but outside it: a database copy or export
 *   does not carry it;
 * - on PostgreSQL in development, a key generated once into the database
 *   (`public.installation_secret`), so every instance on that database
 *   agrees; it guards nothing against someone holding the whole database,
 *   hence the warning at every start.
 */
export async function loadSecretKey(config: Config, database: Database, log: Logger): Promise<SecretKey> {
  if (config.secretKey !== undefined) return new SecretKey(config.secretKey);
  if (database.kind === 'embedded') return new SecretKey(await keyInDataDir(config.dataDir));
  log.warn('SECRET_KEY is unset: tokens and OTPs are hashed under a development key kept in the database; set SECRET_KEY in production');
  return new SecretKey(await keyInDatabase(database.db));
}

const newKey = () => randomBytes(32).toString('hex');

async function keyInDataDir(dataDir: string): Promise<string> {
  const path = join(dataDir, SECRET_KEY_FILE);
  await mkdir(dataDir, { recursive: true });
  try {
    // `wx`: only the first process writes it; a racing second one reads the winner's.
    await writeFile(path, `${newKey()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await readFile(path, 'utf8')).trim();
}

async function keyInDatabase(db: Kysely<DB>): Promise<string> {
  await db
    .insertInto('public.installation_secret')
    .values({ name: 'development_secret_key', value: newKey() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('public.installation_secret')
    .select('value')
    .where('name', '=', 'development_secret_key')
    .executeTakeFirstOrThrow();
  return row.value;
}
