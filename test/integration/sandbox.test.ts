import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import ZongJi from '@vlasky/zongji';
import { auxPort, ensureInstalled, SandboxPortError, startSandbox, stopSandbox, resetSandbox } from '../../scripts/sandbox.ts';
import { currentBinlogPosition, driverOptions } from '../../core/connection/connection.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

test('a sandbox starts from an empty data directory, is reused when running, and stops', { skip: process.env.SLUICE_TEST_DSN ? 'SLUICE_TEST_DSN points the suite at another server' : false }, async () => {
  const port = auxPort('freshStart');
  const opts = { port, name: 'fresh-start-test', serverId: 99 };
  await stopSandbox(opts);
  const server = await resetSandbox(opts); // wipes the data directory first
  try {
    const conn = await mysql.createConnection(server);
    const [rows] = await conn.query('SELECT @@log_bin AS log_bin, @@binlog_format AS f, @@binlog_row_image AS img, @@server_id AS id, @@port AS port');
    await conn.end();
    assert.deepEqual({ ...(rows as object[])[0] }, { log_bin: 1, f: 'ROW', img: 'FULL', id: 99, port });
    const again = await startSandbox(opts); // idempotent: reuses the running server
    assert.equal(again.port, port);
  } finally {
    await stopSandbox(opts);
  }
  const after = await mysql.createConnection({ ...server, connectTimeout: 1000 }).then((c) => c.end().then(() => true), () => false);
  assert.equal(after, false, 'the sandbox still answers after stop');
  assert.ok(existsSync(new URL('../../.sandbox/fresh-start-test/data/mysql', import.meta.url)));
});

test('the test server has the binlog in ROW/FULL and zongji reads our row events from it', async () => {
  const pool = await freshDatabase('sandbox_binlog');
  let zongji: ZongJi | undefined;
  try {
    await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) DEFAULT CHARSET=utf8mb4');
    const start = await currentBinlogPosition(pool);
    zongji = new ZongJi(driverOptions(testConnection()));
    const z = zongji;
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no binlog row event within 10 s')), 10_000);
      z.on('error', reject);
      z.on('binlog', (evt: { getEventName(): string; rows?: unknown[] }) => {
        if (evt.getEventName() === 'writerows') {
          clearTimeout(timer);
          resolve(evt.rows ?? []);
        }
      });
      z.on('ready', () => {
        pool.query(`INSERT INTO t VALUES (1, 'héllo 🌊')`).catch(reject);
      });
      z.start({
        serverId: 4000 + Math.floor(Math.random() * 1000),
        filename: start.file, position: start.position,
        includeEvents: ['tablemap', 'writerows'],
        includeSchema: { sandbox_binlog: ['t'] },
      });
    });
    assert.deepEqual(rows, [{ id: 1, v: 'héllo 🌊' }]);
  } finally {
    const z = zongji;
    if (z) await new Promise<void>((resolve) => { z.once('stopped', () => resolve()); z.stop(); });
    await pool.query('DROP DATABASE sandbox_binlog');
    await pool.end();
  }
});

/** A plain mariadbd of the test's own (not the sandbox's), root without a password over TCP: what the sandbox must not take over. */
async function foreignServer(port: number): Promise<{ root: mysql.ConnectionOptions; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-foreign-'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const { mariadbd, installDb } = ensureInstalled();
  const install = spawnSync(installDb, ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot], { encoding: 'utf8' });
  assert.equal(install.status, 0, install.stderr);
  const child = spawn(mariadbd, [
    '--no-defaults', `--datadir=${join(dir, 'data')}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'pid')}`, '--skip-name-resolve', '--innodb-buffer-pool-size=16M', ...asRoot,
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const root = { host: '127.0.0.1', port, user: 'root', password: '', connectTimeout: 1000 };
  for (let i = 0; ; i++) {
    if (await mysql.createConnection(root).then((c) => c.end().then(() => true), () => false)) break;
    if (child.exitCode !== null || i > 240) assert.fail(`the foreign mariadbd did not start on port ${port} (is the port taken?)`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    root,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('a server the sandbox did not start, on its port, is a clear error: not taken over, not "stopped"', { skip: process.env.SLUICE_TEST_DSN ? 'SLUICE_TEST_DSN points the suite at another server' : false }, async () => {
  const port = auxPort('replica2');
  const opts = { port, name: 'foreign-port-test', serverId: 98 };
  await stopSandbox(opts); // a leftover sandbox of ours from an earlier run
  const foreign = await foreignServer(port);
  try {
    await assert.rejects(startSandbox(opts), (e) => e instanceof SandboxPortError && e.port === port &&
      new RegExp(`^sandbox: port ${port} is used by a server this sandbox did not start .*SLUICE_SANDBOX_PORT`).test(e.message) && !e.message.includes('\n'));
    const conn = await mysql.createConnection(foreign.root);
    const [[users]] = await conn.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM mysql.user WHERE user = 'sluice'");
    await conn.end();
    assert.equal(Number(users!.n), 0, 'the sandbox created its user on a server it did not start');
    assert.equal(await stopSandbox(opts), 'not-ours');
    // the command line does not claim to have stopped it either
    const script = fileURLToPath(new URL('../../scripts/sandbox.ts', import.meta.url));
    const cli = spawnSync(process.execPath, ['--import', 'tsx', script, 'stop'], { encoding: 'utf8', env: { ...process.env, SLUICE_SANDBOX_PORT: String(port) } });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`no sandbox was running on port ${port}; the server listening there was not started by the sandbox and was left alone`));
    const still = await mysql.createConnection(foreign.root).then((c) => c.end().then(() => true), () => false);
    assert.equal(still, true, 'the foreign server must keep running');
  } finally {
    await foreign.stop();
  }
});
