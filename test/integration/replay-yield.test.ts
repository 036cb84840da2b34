/**
 * Replay never waits for a row lock while it holds one (issue 15, item 4: the application's
 * deadlocks with replay's locking re-read). The cycle, step by step: replay has keys 1..200 and
 * 500 pending; an application transaction holds row 500 (uncommitted), replay flushes, then the
 * transaction asks for row 100. With blocking reads, replay held S locks on 1..200 while waiting
 * for 500: a cycle, and InnoDB rolled back the lighter side, the application. With the yielding
 * reads (SKIP LOCKED, then NOWAIT on the rest), replay applies what it could lock, commits, and
 * retries row 500 once its holder has finished. The shadow must still equal the source: the
 * committed values, also of a held row whose holder rolls back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { currentBinlogPosition, DEFAULT_SESSION, openPool, serverFlavor } from '../../core/connection/connection.ts';
import { shareLocking } from '../../core/copier/locking.ts';
import { sleep } from '../../core/lifecycle/abort.ts';
import { BinlogReplayer } from '../../core/replay/replayer.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import { fileDatabases, testConnection } from '../support/db.ts';

const dbs = fileDatabases();

async function setup(db: string) {
  const app = await dbs.database(db);
  const pool = dbs.own(openPool(testConnection(db), DEFAULT_SESSION, 4));
  await app.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v INT NOT NULL)');
  await app.query('INSERT INTO t SELECT seq, 0 FROM seq_1_to_1000');
  await app.query('CREATE TABLE _t_new LIKE t');
  await app.query('INSERT INTO _t_new SELECT * FROM t');
  const info = await inspectTable(app, db, 't');
  const names = info.columns.map((c) => c.name);
  const locking = shareLocking(await serverFlavor(app));
  assert.ok(locking, 'this server has SKIP LOCKED (MariaDB 10.6+, MySQL 8)');
  const replay = await BinlogReplayer.start({
    connection: testConnection(db), pool, source: info, shadow: '_t_new', mapping: { source: names, target: names },
    start: await currentBinlogPosition(app), tuning: { locking },
  });
  // Keys 1..200 and 500 pending, received, not flushed.
  await app.query('UPDATE t SET v = v + 1 WHERE id <= 200 OR id = 500');
  await replay.waitFor(await currentBinlogPosition(app), AbortSignal.timeout(20_000));
  assert.equal(replay.pending, 201);
  const read = async (table: string) => (await app.query<RowDataPacket[]>(`SELECT id, v FROM ${table} ORDER BY id`))[0].map((r) => `${r.id}:${r.v}`);
  return { app, replay, read };
}

test('an application transaction holding a pending row, then asking for another one, is never replay\'s deadlock victim', async () => {
  const { app, replay, read } = await setup('replay_yield_cycle');
  await using _ = replay;
  const tx = await app.getConnection();
  let flushing: Promise<number> | undefined;
  try {
    await tx.query('SET SESSION innodb_lock_wait_timeout = 10');
    await tx.query('START TRANSACTION');
    await tx.query('UPDATE t SET v = v + 10 WHERE id = 500');
    flushing = replay.flush();
    flushing.catch(() => undefined);
    await sleep(300, new AbortController().signal); // replay has read 1..200 by now
    await tx.query('UPDATE t SET v = v + 10 WHERE id = 100'); // before the fix: ER_LOCK_DEADLOCK (1213) here
    await tx.query('COMMIT');
    await flushing;
  } finally {
    await tx.query('ROLLBACK').catch(() => undefined);
    tx.release();
  }
  await replay.waitFor(await currentBinlogPosition(app), AbortSignal.timeout(20_000));
  await replay.flush();
  const source = await read('t');
  assert.ok(source.includes('500:11') && source.includes('100:11'));
  assert.deepEqual(await read('_t_new'), source);
});

test('a pending row held by a transaction that rolls back is replayed with its committed value', async () => {
  const { app, replay, read } = await setup('replay_yield_rollback');
  await using _ = replay;
  const tx = await app.getConnection();
  try {
    await tx.query('START TRANSACTION');
    await tx.query('UPDATE t SET v = v + 10 WHERE id = 500');
    await tx.query('DELETE FROM t WHERE id = 7');
    const flushing = replay.flush();
    flushing.catch(() => undefined);
    await sleep(300, new AbortController().signal);
    await tx.query('ROLLBACK');
    assert.equal(await flushing, 201);
  } finally {
    tx.release();
  }
  const source = await read('t');
  assert.ok(source.includes('500:1') && source.includes('7:1'));
  assert.deepEqual(await read('_t_new'), source);
});
