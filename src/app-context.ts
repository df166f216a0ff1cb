import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { DB } from './db/schema.ts';
import type { SecretKey } from './secret-key.ts';
import type { TenantDirectory } from './tenancy/directory.ts';
import type { Tenancy } from './tenancy/tenancy.ts';

/** What a running process holds: handed to every feature. */
export interface AppContext {
  readonly config: Config;
  readonly database: Database;
  readonly db: Kysely<DB>;
  readonly tenancy: Tenancy;
  readonly directory: TenantDirectory;
  readonly log: Logger;
  /** The key of the stored hashes of tokens and OTPs. */
  readonly secretKey: SecretKey;
}
