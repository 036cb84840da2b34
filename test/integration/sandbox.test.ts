import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import ZongJi from '@vlasky/zongji';
import { auxPort, startSandbox, stopSandbox, resetSandbox } from '../../scripts/sandbox.ts';
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
