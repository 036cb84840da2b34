/**
 * The project's own MariaDB server: loopback only, its own port and data directory
 * under `.sandbox/`, binary log on (ROW format, FULL image). Used by the tests, the
 * demo and the benchmark. Idempotent: a running sandbox is reused.
 *
 *   node --import tsx scripts/sandbox.ts start|stop|reset|status|url
 *
 * Environment:
 *   SLUICE_TEST_DSN      mysql://user:pass@host:port — use that server instead (e.g. a MySQL 8);
 *                        nothing is started or installed.
 *   SLUICE_SANDBOX_PORT  port of the sandbox (default 3307); the data directory is per port.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, openSync } from 'node:fs';
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
  /** Folder name under .sandbox/ (defaults to the port). */
  name?: string;
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
  /** a server whose binlog numbering passes binlog.999999 */
  wrappedBinlog: 40,
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
  const base = join(root, '.sandbox', opts.name ?? String(port));
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

function ensureInstalled(): { mariadbd: string; installDb: string } {
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

/** Start (or reuse) a sandbox server and return how to reach it as the sluice user. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<ServerInfo> {
  if (process.env.SLUICE_TEST_DSN && opts.port === undefined) return testServer();
  const d = dirs(opts);
  const server: ServerInfo = { host: '127.0.0.1', port: d.port, user: SANDBOX_USER, password: SANDBOX_PASSWORD };
  if (pidAlive(d.pidFile) && (await canConnect(server))) return server;

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

  const rootServer: ServerInfo = { host: '127.0.0.1', port: d.port, user: 'root', password: '' };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (await canConnect(server, 1000)) return server;
    if (await canConnect(rootServer, 1000)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = existsSync(d.errLog) ? readFileSync(d.errLog, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`sandbox mariadbd on port ${d.port} did not start:\n${tail}`);
    }
    await sleep(250);
  }
  // First start: create the sandbox user (the root account only exists for the socket/loopback).
  const conn = await mysql.createConnection(rootServer);
  try {
    await conn.query(`CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`, [SANDBOX_USER, SANDBOX_PASSWORD]);
    await conn.query(`GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION`, [SANDBOX_USER]);
  } finally {
    await conn.end();
  }
  return server;
}

export async function stopSandbox(opts: SandboxOptions = {}): Promise<void> {
  const d = dirs(opts);
  const pid = pidAlive(d.pidFile);
  if (!pid) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
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
      case 'stop': await stopSandbox(); console.log('sandbox stopped'); break;
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
    console.error(`sandbox: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
