import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A PostgreSQL database made for one test file or benchmark, dropped when done. */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database named `<prefix>_<random>` on the server that
 * `adminUrl` reaches (trust auth, a role allowed to create databases).
 */
export async function createScratchDatabase(prefix: string, adminUrl: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await runAdminStatement(adminUrl, `create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => runAdminStatement(adminUrl, `drop database if exists "${name}" with (force)`),
  };
}

/**
 * Creates an empty database on a Citus cluster for one test file or
 * benchmark: the same database on the coordinator (`adminUrl`, any database
 * of the cluster's) and on each of its workers, the extension in each, the
 * workers added and schema-based sharding on, as `../shared/citus/cluster.sh`
 * sets up its own `plio` database. Citus keeps its node list per database,
 * hence the set-up in each new one.
 */
export async function createCitusScratchDatabase(prefix: string, adminUrl: string): Promise<ScratchDatabase> {
  // Adding a node opens connections between the nodes, which a busy cluster
  // (other files creating and dropping their databases) now and then drops:
  // start again with a new name.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createCitusDatabase(prefix, adminUrl);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function createCitusDatabase(prefix: string, adminUrl: string): Promise<ScratchDatabase> {
  const coordinator = new URL(adminUrl);
  const workers = await citusWorkers(adminUrl);
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const nodes = [coordinator, ...workers.map((worker) => withHost(coordinator, worker.host, worker.port))];
  const drop = async () => {
    for (const node of nodes) await runAdminStatement(withDatabase(node, 'postgres').toString(), `drop database if exists "${name}" with (force)`);
  };
  try {
    await Promise.all(
      nodes.map(async (node) => {
        await runAdminStatement(withDatabase(node, 'postgres').toString(), `create database "${name}"`);
        await runAdminStatement(withDatabase(node, name).toString(), 'create extension citus');
      }),
    );
    const client = new pg.Client({ connectionString: withDatabase(coordinator, name).toString() });
    await client.connect();
    try {
      await client.query('select citus_set_coordinator_host($1, $2)', [coordinator.hostname, Number(coordinator.port || 5432)]);
      for (const worker of workers) await client.query('select citus_add_node($1, $2)', [worker.host, worker.port]);
      await client.query(`alter database "${name}" set citus.enable_schema_based_sharding = on`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { name, url: withDatabase(coordinator, name).toString(), drop };
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
