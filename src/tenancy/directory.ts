import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { TENANCY_CHANNEL, tenancyEvents } from './events.ts';
import { RELOADED_CHANNEL, SERVING_LOCK } from './reload-confirmations.ts';
import { PUBLIC_SCHEMA } from './schema-name.ts';

/** What a request needs to know about its tenant. */
export interface Tenant {
  /** The organization's id; `null` for a public tenant that has no row yet. */
  readonly id: number | null;
  readonly name: string;
  readonly shortcode: string;
  readonly schema: string;
}

/**
 * An in-memory copy of the live organizations and their domains, so that
 * resolving a request's tenant costs no query.
 *
 * It reloads when organizations or domains change: at once in this process,
 * through NOTIFY from other processes. Lookups wait for a reload in flight, so
 * a process always sees its own writes. Domain lookups must be synchronous
 * for URL rewriting, which happens before routing.
 *
 * It also counts itself among the serving processes (the serving lock on the
 * listening session) and, when a change asks for it with a token, confirms
 * from that session once a reload that began after the change has finished:
 * a delete waits for that (`ReloadConfirmations`).
 */
export class TenantDirectory {
  #byShortcode = new Map<string, Tenant>();
  #byDomain = new Map<string, Tenant>();
  #publicTenant: Tenant;
  #reload: Promise<void> | undefined;
  #stale = false;
  /** Tokens of changes heard since the reload in flight (if any) began: the next reload confirms them. */
  #toConfirm: string[] = [];
  #database: Database | undefined;
  readonly #onChange = () => this.invalidate();
  readonly #onNotice = (token: string) => {
    if (token) this.#toConfirm.push(token);
    this.invalidate();
  };

  constructor(
    private readonly db: Kysely<DB>,
    defaultTenant: { name: string; shortcode: string },
  ) {
    this.#publicTenant = Object.freeze({ id: null, ...defaultTenant, schema: PUBLIC_SCHEMA });
  }

  /** Loads the directory and follows changes from this and other processes. */
  async start(database: Database): Promise<void> {
    this.#database = database;
    tenancyEvents.on('changed', this.#onChange);
    // A reconnection may have missed changes: reload, as for a change.
    await database.listen(TENANCY_CHANNEL, this.#onNotice, this.#onChange);
    // After the LISTEN: whoever sees the lock knows this process hears changes.
    await database.holdOnListener(SERVING_LOCK);
    await this.load();
  }

  stop(): void {
    tenancyEvents.off('changed', this.#onChange);
  }

  /** The public tenant: the personal workspace. */
  get publicTenant(): Tenant {
    return this.#publicTenant;
  }

  /** Waits for a reload in flight, if any. */
  async settled(): Promise<void> {
    while (this.#reload) await this.#reload;
  }

  /** A live organization by shortcode; asks the database on a miss, in case another process just created it. */
  async byShortcode(shortcode: string): Promise<Tenant | undefined> {
    await this.settled();
    const known = this.#byShortcode.get(shortcode);
    if (known) return known;
    const row = await this.db
      .selectFrom('public.organization')
      .select(['id', 'name', 'shortcode', 'schema_name'])
      .where('shortcode', '=', shortcode)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toTenant(row);
  }

  /** The tenant a domain (`host` or `host/segment`) maps to, from memory. */
  byDomain(domain: string): Tenant | undefined {
    return this.#byDomain.get(domain.toLowerCase());
  }

  invalidate(): void {
    if (this.#reload) {
      this.#stale = true; // reload again once the one in flight ends
      return;
    }
    const tokens = this.#toConfirm.splice(0);
    this.#reload = this.load()
      .then(
        () => void this.#confirm(tokens), // lookups need not wait for the answer
        () => {
          // keep serving the previous copy; the next change retries (and confirms these)
          this.#toConfirm.unshift(...tokens);
        },
      )
      .finally(() => {
        this.#reload = undefined;
        if (this.#stale) {
          this.#stale = false;
          this.invalidate();
        }
      });
  }

  async #confirm(tokens: readonly string[]): Promise<void> {
    for (const token of tokens) await this.#database?.notifyFromListener(RELOADED_CHANNEL, token);
  }

  private async load(): Promise<void> {
    const [organizations, domains] = await Promise.all([
      this.db
        .selectFrom('public.organization')
        .select(['id', 'name', 'shortcode', 'schema_name'])
        .where('deleted_at', 'is', null)
        .execute(),
      this.db
        .selectFrom('public.domain')
        .innerJoin('public.organization as o', 'o.id', 'public.domain.tenant_id')
        .select(['domain', 'o.id', 'o.name', 'o.shortcode', 'o.schema_name'])
        .where('o.deleted_at', 'is', null)
        .execute(),
    ]);
    const byShortcode = new Map<string, Tenant>();
    let publicTenant = this.#publicTenant;
    for (const row of organizations) {
      const tenant = toTenant(row);
      byShortcode.set(tenant.shortcode, tenant);
      if (tenant.schema === PUBLIC_SCHEMA) publicTenant = tenant;
    }
    this.#byShortcode = byShortcode;
    this.#byDomain = new Map(domains.map((row) => [row.domain, toTenant(row)]));
    this.#publicTenant = publicTenant;
  }
}

function toTenant(row: { id: number; name: string; shortcode: string; schema_name: string }): Tenant {
  return Object.freeze({ id: row.id, name: row.name, shortcode: row.shortcode, schema: row.schema_name });
}
