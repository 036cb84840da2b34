/**
 * Binlog file numbers widen past six digits: binlog.999999 is followed by binlog.1000000, which
 * sorts before it as text. On a server whose binlog is at binlog.999999 (RESET MASTER TO 999999),
 * a migration whose replay crosses into binlog.1000000 must still see every change: replay's
 * positions, its waits and the cutover compare the files' numbers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin } from '../../mod.ts';
import { isCancellation } from '../../core/errors.ts';
import { compareBinlogPositions, currentBinlogPosition, openPool } from '../../core/connection/connection.ts';
import { BinlogReplayer } from '../../core/replay/replayer.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import { auxPort } from '../../scripts/sandbox.ts';
import { SecondServer } from '../support/second-server.ts';

const second = new SecondServer({ port: auxPort('wrappedBinlog'), name: `${auxPort('wrappedBinlog')}-binlog-wrap` });
before(() => second.start());
after(() => second.stop());

test('replay positions move from binlog.999999 into binlog.1000000, and waitFor waits for a later position there', { timeout: 60_000 }, async () => {
  const admin = second.pool(undefined, 1);
  await admin.query('RESET MASTER TO 999999');
  const db = 'binlog_wrap_replay';
  const app = await second.freshDatabase(db);
  const sluice = openPool(second.connection(db), undefined, 2);
  try {
    await app.query('CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)');
    await app.query('INSERT INTO t VALUES (1, 0), (2, 0)');
    await app.query('CREATE TABLE _t_new LIKE t');
    await app.query('INSERT INTO _t_new SELECT * FROM t');
    const source = await inspectTable(app, db, 't');
    const mapping = { source: ['id', 'v'], target: ['id', 'v'] };
    const start = await currentBinlogPosition(app);
    assert.equal(start.file, 'binlog.999999');
    await using r = await BinlogReplayer.start({ connection: second.connection(), pool: sluice, source, shadow: '_t_new', mapping, start });
    await app.query('FLUSH BINARY LOGS');
    await app.query('UPDATE t SET v = 1 WHERE id = 1');
    const pos = await currentBinlogPosition(app);
    assert.equal(pos.file, 'binlog.1000000');
    await r.waitFor(pos, AbortSignal.timeout(20_000));
    await r.flush();
    assert.equal(r.received.file, 'binlog.1000000', 'received follows the rotation');
    assert.ok(r.received.position >= pos.position);
    // applied reaches the awaited position in the new file (received may be further on already: the
    // flush's own write to _t_new is a transaction of another table, which received also passes)
    assert.equal(r.applied.file, 'binlog.1000000', 'applied follows the rotation');
    assert.ok(compareBinlogPositions(r.applied, pos) >= 0, `applied ${r.applied.file}:${r.applied.position} is before ${pos.file}:${pos.position}`);
    assert.ok(compareBinlogPositions(r.applied, r.received) <= 0, 'applied is never ahead of received');
    const [[row]] = await app.query<RowDataPacket[]>('SELECT v FROM _t_new WHERE id = 1');
    assert.equal(row!.v, 1);
    // A position not written yet is not reached: the wait runs into its timeout.
    const ahead = { file: 'binlog.1000000', position: pos.position + 1_000_000 };
    await assert.rejects(r.waitFor(ahead, AbortSignal.timeout(500)), (err: unknown) => isCancellation(err));
  } finally {
    await sluice.end();
  }
});

test('a migration whose replay crosses from binlog.999999 into binlog.1000000 keeps every change', { timeout: 120_000 }, async () => {
  const admin = second.pool(undefined, 1);
  await admin.query('RESET MASTER TO 999999');
  const [[status]] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
  assert.equal(status!.File, 'binlog.999999');
  const db = 'binlog_wrap';
  const pool = await second.freshDatabase(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_2000");

  let filesAfter: string[] = [];
  const writer = definePlugin({
    name: 'writes-across-rotation',
    async afterCopy() {
      // Replay is running: changes before and after the rotation must all reach the shadow.
      await pool.query("UPDATE t SET v = 'before rotate' WHERE id <= 10");
      await pool.query('FLUSH BINARY LOGS');
      await pool.query("UPDATE t SET v = 'after rotate' WHERE id > 1990");
      await pool.query("INSERT INTO t VALUES (5000, 'inserted after')");
      await pool.query('DELETE FROM t WHERE id = 1000');
      const [logs] = await pool.query<RowDataPacket[]>('SHOW BINARY LOGS');
      filesAfter = logs.map((l) => String(l.Log_name));
    },
  });
  const logs: string[] = [];
  const m = await createMigration({
    connection: second.connection(db), statement: 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7',
    plugins: [writer], tryNative: false, keepOldTable: true, cutoverAttempts: 1, lockWaitTimeout: 10,
  });
  m.on((e) => { if (e.type === 'log') logs.push(e.message); });
  try {
    const result = await m.run();
    assert.equal(result.mode, 'copy');
  } finally {
    await m[Symbol.asyncDispose]();
  }
  assert.deepEqual(filesAfter, ['binlog.999999', 'binlog.1000000'], 'the rotation happened during replay');
  const [moved] = await pool.query<RowDataPacket[]>('SELECT id, v, extra FROM t ORDER BY id');
  const [old] = await pool.query<RowDataPacket[]>('SELECT id, v FROM _t_old ORDER BY id');
  assert.equal(moved.length, 2000);
  assert.deepEqual(moved.map((r) => [r.id, r.v]), old.map((r) => [r.id, r.v]), 'the migrated table holds the original rows');
  assert.ok(moved.every((r) => r.extra === 7));
  const byId = new Map(moved.map((r) => [Number(r.id), String(r.v)]));
  assert.equal(byId.get(5), 'before rotate');
  assert.equal(byId.get(1995), 'after rotate');
  assert.equal(byId.get(5000), 'inserted after');
  assert.equal(byId.has(1000), false);
});
