/**
 * The project's own MariaDB server: loopback only, its own port and data directory
 * under `.sandbox/`, binary log on (ROW format, FULL image). Used by the tests, the
 * demo and the benchmark. Idempotent: a running sandbox is reused.
 *
 * It manages only a server it started itself: its pid file names a live mariadbd started on its
 * data directory, and the server answers `@@datadir` / `@@pid_file` with ours. Anything else on
 * the port is an error naming the port (and SLUICE_SANDBOX_PORT); it is never connected to as
 * root, given a user, or stopped.
 *
 *   node --import tsx scripts/sandbox.ts start|stop|reset|status|url
 *
 * Environment:
 *   SLUICE_TEST_DSN      mysql://user:pass@host:port — use that server instead (e.g. a MySQL 8);
 *                        nothing is started or installed.
 *   SLUICE_SANDBOX_PORT  port of the sandbox (default 3307); the data directory is per port.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface SandboxOptions {
  port?: number;
  serverId?: number;
  /** Extra mariadbd options, e.g. for a replica. */
  extraArgs?: string[];
  /** Folder name under the base directory (defaults to the port). */
  name?: string;
  /** Base directory of the sandboxes' data (default: `.sandbox/` in this checkout). */
  baseDir?: string;
  /** Extra mariadb-install-db options for a fresh data directory (e.g. --lower-case-table-names=1, which must match the server's). */
  initArgs?: string[];
}

export interface ServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

const SANDBOX_USER = 'sluice';
const SANDBOX_PASSWORD = 'sluice-sandbox';

export function sandboxPort(): number {
  const fromEnv = process.env.SLUICE_SANDBOX_PORT;
  return fromEnv ? Number(fromEnv) : 3307;
}

/**
 * Every port the tests use besides the sandbox's own, in one place: each is an offset from the
 * sandbox port, so two checkouts with different SLUICE_SANDBOX_PORT values never collide.
 */
export const AUX_PORTS = {
  /** the throttler tests' replica */
  replica: 10,
  /** a second primary (e.g. a resume on another server) */
  secondServer: 20,
  /** a second replica */
  replica2: 30,
  /** a port where nothing listens (tests of unreachable servers) */
  nothing: 40,
  /** a server whose binlog numbering passes binlog.999999 */
  wrappedBinlog: 50,
  /** the test that starts a sandbox from an empty data directory */
  freshStart: 92,
} as const;

export function auxPort(name: keyof typeof AUX_PORTS): number {
  return sandboxPort() + AUX_PORTS[name];
}

/** The server the tests and the demo use: SLUICE_TEST_DSN if set, else the sandbox. */
export function testServer(): ServerInfo {
  const dsn = process.env.SLUICE_TEST_DSN;
  if (dsn) {
    const url = new URL(dsn);
    return {
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
  }
  return { host: '127.0.0.1', port: sandboxPort(), user: SANDBOX_USER, password: SANDBOX_PASSWORD };
}

function dirs(opts: SandboxOptions) {
  const port = opts.port ?? sandboxPort();
  const base = join(opts.baseDir ?? join(root, '.sandbox'), opts.name ?? String(port));
  return {
    port,
    base,
    data: join(base, 'data'),
    socket: join(base, 'mariadbd.sock'),
    pidFile: join(base, 'mariadbd.pid'),
    errLog: join(base, 'error.log'),
  };
}

function which(cmd: string): string | undefined {
  for (const p of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const f = join(p, cmd);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/** The mariadbd and mariadb-install-db binaries (installed with apt-get when missing and running as root). */
export function ensureInstalled(): { mariadbd: string; installDb: string } {
  let mariadbd = which('mariadbd');
  let installDb = which('mariadb-install-db');
  if (mariadbd && installDb) return { mariadbd, installDb };
  if (process.getuid?.() !== 0) {
    throw new Error('mariadbd not found: install it with `sudo apt-get install -y mariadb-server` (or set SLUICE_TEST_DSN to another server)');
  }
  console.error('sandbox: installing Debian mariadb-server (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'mariadb-server']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
  mariadbd = which('mariadbd');
  installDb = which('mariadb-install-db');
  if (!mariadbd || !installDb) throw new Error('mariadb-server installed but mariadbd or mariadb-install-db is still missing');
  return { mariadbd, installDb };
}

async function canConnect(server: ServerInfo, timeoutMs = 2000): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ ...server, connectTimeout: timeoutMs });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

function pidAlive(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

type Dirs = ReturnType<typeof dirs>;

/** A port the sandbox cannot use: something it did not start answers there, or it is taken. */
export class SandboxPortError extends Error {
  readonly port: number;
  constructor(port: number, problem: string) {
    const env = port === sandboxPort()
      ? `set SLUICE_SANDBOX_PORT to a free port (now ${sandboxPort()})`
      : `set SLUICE_SANDBOX_PORT to move the sandbox and the ports derived from it (now ${sandboxPort()}; this one is ${port})`;
    super(`sandbox: port ${port} ${problem}: stop that server or ${env}`);
    this.name = 'SandboxPortError';
    this.port = port;
  }
}

/** The pid in our pid file, if that process is alive and is a server started on our data directory. */
function ownPid(d: Dirs): number | undefined {
  const pid = pidAlive(d.pidFile);
  if (!pid) return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(`--datadir=${d.data}`) ? pid : undefined;
  } catch {
    return pid; // no /proc: the server's own @@datadir is checked before it is used
  }
}

/** Whether something accepts TCP connections on the port. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

const samePath = (a: string, b: string) => {
  const real = (p: string) => { try { return realpathSync(p); } catch { return resolve(p); } };
  return real(a.replace(/\/+$/, '')) === real(b.replace(/\/+$/, ''));
};

/**
 * Our server, through our own socket as root (only a server we started listens there), once it
 * answers: checked to run on our data directory, pid file and port. undefined while not answering.
 */
async function ownServer(d: Dirs): Promise<mysql.Connection | undefined> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ socketPath: d.socket, user: 'root', password: '', connectTimeout: 1000 });
  } catch {
    return undefined;
  }
  const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT @@datadir AS datadir, @@pid_file AS pid_file, @@port AS port');
  if (!samePath(String(row!.datadir), d.data) || !samePath(String(row!.pid_file), d.pidFile) || Number(row!.port) !== d.port) {
    await conn.end();
    throw new SandboxPortError(d.port, `cannot be checked: the server on the sandbox's socket ${d.socket} runs on ${String(row!.datadir)} (port ${String(row!.port)}), not on its data directory ${d.data}`);
  }
  return conn;
}

/** Waits for our server to answer, then makes sure the sandbox user exists. */
async function readyServer(d: Dirs, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const conn = await ownServer(d);
    if (conn) {
      try {
        // First start: create the sandbox user (the root account only exists for the socket/loopback).
        await conn.query(`CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`, [SANDBOX_USER, SANDBOX_PASSWORD]);
        await conn.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION`, [SANDBOX_USER]);
      } finally {
        await conn.end();
      }
      return;
    }
    if (!alive() || Date.now() > deadline) {
      const tail = existsSync(d.errLog) ? readFileSync(d.errLog, 'utf8').split('\n').slice(-15).join('\n') : '';
      if (/Address already in use|Bind on TCP\/IP port/i.test(tail)) throw new SandboxPortError(d.port, 'is taken by another program');
      throw new Error(`sandbox mariadbd on port ${d.port} did not start:\n${tail}`);
    }
    await sleep(250);
  }
}

/** Start (or reuse) a sandbox server and return how to reach it as the sluice user. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<ServerInfo> {
  if (process.env.SLUICE_TEST_DSN && opts.port === undefined) return testServer();
  const d = dirs(opts);
  const server: ServerInfo = { host: '127.0.0.1', port: d.port, user: SANDBOX_USER, password: SANDBOX_PASSWORD };
  const running = ownPid(d);
  if (running) {
    await readyServer(d, () => pidAlive(d.pidFile) === running);
    return server;
  }
  if (await portInUse(d.port)) throw new SandboxPortError(d.port, `is used by a server this sandbox did not start (its data directory would be ${d.data})`);

  const { mariadbd, installDb } = ensureInstalled();
  mkdirSync(d.base, { recursive: true });
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  if (!existsSync(join(d.data, 'mysql'))) {
    rmSync(d.data, { recursive: true, force: true });
    const r = spawnSync(installDb, [
      '--no-defaults', `--datadir=${d.data}`, '--auth-root-authentication-method=normal',
      '--skip-test-db', ...asRoot, ...(opts.initArgs ?? []),
    ], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mariadb-install-db failed: ${r.stderr || r.stdout}`);
  }
  const args = [
    '--no-defaults', `--datadir=${d.data}`, `--port=${d.port}`, '--bind-address=127.0.0.1',
    `--socket=${d.socket}`, `--pid-file=${d.pidFile}`, `--log-error=${d.errLog}`,
    `--log-bin=${join(d.data, 'binlog')}`, `--server-id=${opts.serverId ?? 1}`,
    '--binlog-format=ROW', '--binlog-row-image=FULL', '--binlog-row-metadata=FULL',
    '--event-scheduler=ON', '--character-set-server=utf8mb4', '--collation-server=utf8mb4_general_ci', '--innodb-buffer-pool-size=1G', '--innodb-log-file-size=512M',
    '--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0', '--max-connections=500',
    '--skip-name-resolve', ...asRoot, ...(opts.extraArgs ?? []),
  ];
  const log = openSync(join(d.base, 'stdout.log'), 'a');
  const child = spawn(mariadbd, args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  await readyServer(d, () => child.exitCode === null && child.signalCode === null);
  return server;
}

/**
 * Stops the sandbox's own server (never another one on its port). 'not-running': none of ours
 * runs; 'not-ours': none of ours runs, and a server it did not start listens on the port (left alone).
 */
export async function stopSandbox(opts: SandboxOptions = {}): Promise<'stopped' | 'not-running' | 'not-ours'> {
  const d = dirs(opts);
  const pid = ownPid(d);
  if (!pid) return (await portInUse(d.port)) ? 'not-ours' : 'not-running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return 'stopped';
    }
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  return 'stopped';
}

export async function resetSandbox(opts: SandboxOptions = {}): Promise<ServerInfo> {
  await stopSandbox(opts);
  rmSync(dirs(opts).base, { recursive: true, force: true });
  return startSandbox(opts);
}

/** A DSN for display: never includes the password. */
export function describeServer(s: ServerInfo): string {
  return `mysql://${s.user}@${s.host}:${s.port}`;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const cmd = process.argv[2] ?? 'start';
  const run = async () => {
    switch (cmd) {
      case 'start': console.log(`sandbox running at ${describeServer(await startSandbox())}`); break;
      case 'stop': {
        const port = dirs({}).port;
        const outcome = await stopSandbox();
        if (outcome === 'stopped') console.log(`sandbox on port ${port} stopped`);
        else if (outcome === 'not-running') console.log(`no sandbox was running on port ${port}`);
        else console.log(`no sandbox was running on port ${port}; the server listening there was not started by the sandbox and was left alone (SLUICE_SANDBOX_PORT=${sandboxPort()})`);
        break;
      }
      case 'reset': console.log(`sandbox reset, running at ${describeServer(await resetSandbox())}`); break;
      case 'status': {
        const s = testServer();
        console.log(`${describeServer(s)} ${(await canConnect(s)) ? 'is up' : 'is down'}`);
        break;
      }
      default: throw new Error(`unknown command "${cmd}": use start, stop, reset or status`);
    }
  };
  run().catch((err) => {
    console.error(err instanceof SandboxPortError ? err.message : `sandbox: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
