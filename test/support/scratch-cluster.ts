/**
 * A PostgreSQL server of a test's own (initdb into a temporary folder), for
 * tests that stop or freeze the database: never the shared server.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.TEST_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
/** The ports scratch clusters may use (the shared server's 5432 is never one of them). */
const PORTS = Array.from({ length: 10 }, (_, i) => 5601 + i);

export interface ScratchCluster {
  readonly port: number;
  /** The cluster's folder (data, log, socket). */
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  readonly adminUrl: string;
  start(): Promise<void>;
  /** A fast shutdown: connections are closed, new ones refused. */
  stop(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: connections stay open, nothing answers. */
  freeze(): void;
  thaw(): void;
  /** Thaws, stops and deletes the cluster. */
  destroy(): Promise<void>;
}

/** Creates and starts a cluster on a free port of 5601–5610. */
export async function startScratchCluster(): Promise<ScratchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'plio-cluster-'));
  // initdb refuses to run as root: the cluster then belongs to `postgres`.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(group.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]) : run(join(BIN, tool), args);
  const data = join(dir, 'data');
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB -c max_connections=40`;
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  };
  /** The postmaster and its children (backends, background workers). */
  const processes = (): number[] => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === postmaster;
        } catch {
          return false; // the process ended meanwhile
        }
      })
      .map(Number);
    return [postmaster, ...children];
  };
  const signal = (name: NodeJS.Signals) => {
    for (const pid of processes()) {
      try {
        process.kill(pid, name);
      } catch {
        // ended meanwhile
      }
    }
  };
  let frozen = false;
  const thaw = () => {
    signal('SIGCONT');
    frozen = false;
  };
  await start();
  return {
    port,
    dir,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    },
    freeze() {
      signal('SIGSTOP');
      frozen = true;
    },
    thaw,
    async destroy() {
      try {
        if (frozen) thaw();
        await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Where Debian's package puts PgBouncer; `undefined` when it is not installed. */
export const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => existsSync(path));

export interface ScratchPgBouncer {
  /** `postgres://postgres@127.0.0.1:PORT/DATABASE` through the pooler. */
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction mode in front of `cluster`, on `port`, with
 * `ignore_startup_parameters = statement_timeout` as docs/security.md says.
 */
export async function startPgBouncer(cluster: ScratchCluster, port: number): Promise<ScratchPgBouncer> {
  if (!PGBOUNCER) throw new Error('PgBouncer is not installed');
  const ini = join(cluster.dir, 'pgbouncer.ini');
  const users = join(cluster.dir, 'userlist.txt');
  writeFileSync(users, '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${cluster.port}`,
      '[pgbouncer]',
      `listen_addr = 127.0.0.1`,
      `listen_port = ${port}`,
      `unix_socket_dir =`,
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      'ignore_startup_parameters = statement_timeout,extra_float_digits',
      'max_client_conn = 200',
      'default_pool_size = 20',
      'server_connect_timeout = 2',
      'server_login_retry = 1',
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    for (const file of [ini, users]) chownSync(file, uid, gid);
  }
  // PgBouncer refuses to run as root.
  const child: ChildProcess = asRoot ? spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER, ini], { stdio: 'ignore' }) : spawn(PGBOUNCER, [ini], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`PgBouncer did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // runuser passes SIGTERM on to PgBouncer.
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(): Promise<number> {
  for (const port of PORTS) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port among ${PORTS[0]}-${PORTS.at(-1)} for a scratch cluster`);
}
