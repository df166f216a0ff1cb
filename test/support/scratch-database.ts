import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A PostgreSQL database made for one test file or benchmark, dropped when done. */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  /**
   * Closes it to connections, those open included, so that it can be
   * copied as a template (Citus's maintenance daemon keeps a connection to
   * every database of a node).
   */
  seal(): Promise<void>;
  drop(): Promise<void>;
}

export interface ScratchOptions {
  /** Its name, replacing a database of that name (one a killed run left); `<prefix>_<random>` by default. */
  readonly name?: string;
  /** A sealed scratch database to copy (`CREATE DATABASE … TEMPLATE`), instead of an empty one. */
  readonly template?: string;
}

/** Creates a database on the server that `adminUrl` reaches (trust auth, a role allowed to create databases). */
export async function createScratchDatabase(prefix: string, adminUrl: string, options: ScratchOptions = {}): Promise<ScratchDatabase> {
  const name = options.name ?? scratchName(prefix);
  const admin = new URL(adminUrl);
  if (options.name) await dropOn(admin, name);
  await runAdminStatement(adminUrl, createStatement(name, options.template));
  return { name, url: withDatabase(admin, name).toString(), seal: () => sealOn(admin, name), drop: () => dropOn(admin, name) };
}

/**
 * Creates a database on a Citus cluster for one test file or benchmark: the
 * same database on the coordinator (`adminUrl`, any database of the
 * cluster's) and on each of its workers, with schema-based sharding on. An
 * empty one gets the extension in each and the workers added, as
 * `../shared/citus/cluster.sh` sets up its own `plio` database (Citus keeps
 * its node list per database); a copy of a template has them already.
 */
export async function createCitusScratchDatabase(prefix: string, adminUrl: string, options: ScratchOptions = {}): Promise<ScratchDatabase> {
  // Adding a node opens connections between the nodes, which a busy cluster
  // (other files creating and dropping their databases) now and then drops:
  // start again with a new name.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createCitusDatabase(prefix, adminUrl, options);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function createCitusDatabase(prefix: string, adminUrl: string, options: ScratchOptions): Promise<ScratchDatabase> {
  const coordinator = new URL(adminUrl);
  const workers = await citusWorkers(adminUrl);
  const name = options.name ?? scratchName(prefix);
  const nodes = [coordinator, ...workers.map((worker) => withHost(coordinator, worker.host, worker.port))];
  const admins = nodes.map((node) => withDatabase(node, 'postgres'));
  const drop = async () => {
    for (const admin of admins) await dropOn(admin, name);
  };
  if (options.name) await drop();
  try {
    // A copy of a template has the extension and the node list already
    // (each node's database is a copy of that node's template); settings
    // made with ALTER DATABASE are not copied.
    await Promise.all(
      nodes.map(async (node, i) => {
        await runAdminStatement(admins[i]!.toString(), createStatement(name, options.template));
        if (!options.template) await runAdminStatement(withDatabase(node, name).toString(), 'create extension citus');
      }),
    );
    const client = new pg.Client({ connectionString: withDatabase(coordinator, name).toString() });
    await client.connect();
    try {
      if (!options.template) {
        await client.query('select citus_set_coordinator_host($1, $2)', [coordinator.hostname, Number(coordinator.port || 5432)]);
        for (const worker of workers) await client.query('select citus_add_node($1, $2)', [worker.host, worker.port]);
      }
      await client.query(`alter database "${name}" set citus.enable_schema_based_sharding = on`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return {
    name,
    url: withDatabase(coordinator, name).toString(),
    seal: async () => {
      for (const admin of admins) await sealOn(admin, name);
    },
    drop,
  };
}

function scratchName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

function createStatement(name: string, template: string | undefined): string {
  return `create database "${name}"${template ? ` template "${template}"` : ''}`;
}

/**
 * `admin` reaches another database of the node than `name`. A Citus
 * maintenance daemon that is just starting in the database is not a
 * backend `with (force)` ends; it leaves a moment later, so try again.
 */
async function dropOn(admin: URL, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runAdminStatement(admin.toString(), `drop database if exists "${name}" with (force)`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function sealOn(admin: URL, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`alter database "${name}" allow_connections false`);
    await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  } finally {
    await client.end();
  }
}

/** The workers of the cluster that `adminUrl`'s coordinator runs. */
async function citusWorkers(adminUrl: string): Promise<{ host: string; port: number }[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ host: string; port: number }>(
      "select nodename as host, nodeport as port from pg_dist_node where noderole = 'primary' and groupid <> 0 order by nodeport",
    );
    return rows;
  } finally {
    await client.end();
  }
}

function withDatabase(url: URL, database: string): URL {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy;
}

function withHost(url: URL, host: string, port: number): URL {
  const copy = new URL(url);
  copy.hostname = host;
  copy.port = String(port);
  return copy;
}

/** Runs one statement (create or drop a database) on its own connection. */
export async function runAdminStatement(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The server benchmarks use: `BENCH_POSTGRES_URL`, or the local one. */
export const BENCH_POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A Citus coordinator for benchmarks that compare with it (`BENCH_CITUS_URL`), or none. */
export const BENCH_CITUS_URL = process.env.BENCH_CITUS_URL;
