import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { cutover } from '../../core/cutover/cutover.ts';
import { chooseOldTableName, finishOldTable } from '../../core/cutover/old-table.ts';
import { createSentinel, waitForSentinel } from '../../core/cutover/sentinel.ts';
import { sortsAfter, swapTableNames } from '../../core/cutover/names.ts';
import { CutoverFailedError, OldTableExistsError, SwapTableExistsError } from '../../core/cutover/errors.ts';
import { MigrationCancelledError } from '../../core/errors.ts';
import { CUTOVER_SENTINEL_TABLE, MAX_IDENTIFIER_LENGTH } from '../../core/table/names.ts';
import { appPool, freshDatabase, testConnection } from '../support/db.ts';
import {
  columns, drop, errno, fixture, id, ids, noKill, options, SESSION, sleep, snapshot, tables, untilAborted, withWriters,
} from './cutover-helpers.ts';

test('swap names sort after the table (the RENAME queues on the table first) and fit 64 characters', () => {
  for (const table of ['t', 'orders', 'Orders', '_a', 'x'.repeat(55), 'y'.repeat(64), 'z'.repeat(60) + 'éé', 'ab'.repeat(30) + 'ü~é']) {
    const { shadow, old } = swapTableNames(table);
    for (const name of [shadow, old]) {
      assert.ok(name.length <= MAX_IDENTIFIER_LENGTH, `${name} is too long`);
      assert.ok(sortsAfter(name, table), `${name} does not sort after ${table}`);
    }
    assert.notEqual(shadow, old);
  }
});

for (const table of ['orders', 'line_items_with_a_rather_long_name_for_the_swap_names_58c']) {
  test(`cutover swaps \`${table}\`: the new table has the shadow's structure and rows, the old one the original's`, async () => {
    const f = await fixture(`cutover_swap_${table.length}`, table);
    try {
      const originalCols = await columns(f.pool, f.table);
      const shadowCols = await columns(f.pool, f.shadow);
      await f.pool.query(`INSERT INTO ${id(f.table)} (id, v) VALUES (1000, 'written before cutover')`);
      const before = await ids(f.pool, f.table);
      const result = await cutover(options(f));
      console.log(`# lockMs ${result.lockMs.toFixed(1)} (${table})`);
      const oldName = `_${table}_old`;
      assert.deepEqual(result, { lockMs: result.lockMs, attempts: 1, oldTable: oldName });
      assert.ok(result.lockMs >= 0);
      assert.deepEqual(await tables(f.pool), [oldName, f.table, 'unrelated'].sort());
      assert.deepEqual(await columns(f.pool, f.table), shadowCols);
      assert.deepEqual(await columns(f.pool, oldName), originalCols);
      assert.deepEqual(await ids(f.pool, f.table), before, 'the new table holds every row of the original (row 1000 through the flush)');
      assert.deepEqual(await ids(f.pool, oldName), before);
      assert.deepEqual(f.replay.calls, ['waitFor', 'flush', 'stop']);
    } finally {
      await drop(f);
    }
  });
}

test('writers running through the cutover never fail and every row they write ends up in the new table', async () => {
  const f = await fixture('cutover_writers');
  f.replay.onFlush = () => sleep(300); // hold the lock a while so that writes queue behind it
  try {
    const { result, written, errors, inNew, missing } = await withWriters(f, () => cutover(options(f)));
    console.log(`# lockMs ${result.lockMs.toFixed(1)} (3 writers)`);
    assert.deepEqual(errors, [], 'a writer got an error');
    const flushAt = f.replay.flushedAt[0]!;
    // In flight while the flush sleeps under the lock (flushAt … flushAt + 300): queued behind it.
    const blocked = written.filter((w) => w.start < flushAt + 290 && w.end >= flushAt + 300);
    assert.ok(blocked.length > 0, 'no write was held by the lock: the test did not exercise the queue');
    assert.deepEqual(missing, [], 'rows written through the cutover are missing from the new table');
    assert.ok(written.some((w) => w.start > flushAt + 300), 'no write after the swap');
    const [[extras]] = await f.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n, MIN(extra) AS lo, MAX(extra) AS hi FROM ${id(f.table)}`) as unknown as [RowDataPacket[]];
    assert.deepEqual({ n: Number(extras!.n), lo: Number(extras!.lo), hi: Number(extras!.hi) }, { n: inNew.size, lo: 42, hi: 42 });
  } finally {
    await drop(f);
  }
});

test('the flush runs on the lock session while writes are blocked, and replay stops before the swap', async () => {
  const f = await fixture('cutover_underlock');
  const probe = await mysql.createConnection({ ...testConnection(f.db) });
  const seen: Record<string, unknown> = {};
  f.replay.onFlush = async (conn) => {
    seen.unrelated = await conn.query(`SELECT * FROM ${id(f.db)}.unrelated`).then(() => 'readable', (e) => errno(e));
    await probe.query('SET SESSION lock_wait_timeout = 1');
    seen.insert = await probe.query(`INSERT INTO ${id(f.table)} (id, v) VALUES (5000, 'probe')`).then(() => 'inserted', (e) => errno(e));
  };
  f.replay.onStop = async () => {
    seen.tablesAtStop = await tables(f.pool);
    seen.columnsAtStop = await columns(f.pool, f.table);
  };
  try {
    const originalCols = await columns(f.pool, f.table);
    await cutover(options(f));
    assert.equal(seen.unrelated, 1100, 'the flush connection is not under LOCK TABLES (ER_TABLE_NOT_LOCKED expected)');
    assert.equal(seen.insert, 1205, 'another session could write the table during the flush');
    assert.deepEqual(seen.columnsAtStop, originalCols, 'the table was already swapped when replay stopped');
    assert.ok(!(seen.tablesAtStop as string[]).includes(`_${f.table}_old`));
    assert.ok(!(await ids(f.pool, f.table)).includes(5000));
  } finally {
    await probe.end();
    await drop(f);
  }
});

test('a long transaction on the table makes the first attempt time out; a later attempt swaps', async () => {
  const f = await fixture('cutover_retry');
  const holder = await mysql.createConnection(testConnection(f.db));
  try {
    await holder.query('START TRANSACTION');
    await holder.query(`SELECT COUNT(*) FROM ${id(f.table)}`); // holds a metadata lock until COMMIT
    const release = sleep(2500).then(() => holder.query('COMMIT'));
    const result = await cutover(options(f, { session: { ...SESSION, lockWaitTimeout: 1 }, locks: noKill(1) }));
    await release;
    console.log(`# lockMs ${result.lockMs.toFixed(1)} after ${result.attempts} attempts`);
    assert.ok(result.attempts >= 2, `swapped in attempt ${result.attempts}`);
    assert.ok(f.warnings.length === result.attempts - 1 && f.warnings.every((w) => /could not lock .* within 1 s/i.test(w)), f.warnings.join('\n'));
    assert.deepEqual(f.replay.calls, ['waitFor', 'flush', 'stop'], 'the failed attempts never held the lock');
    assert.ok((await columns(f.pool, f.table)).includes('extra'));
  } finally {
    await holder.end();
    await drop(f);
  }
});

test('when every attempt times out: CutoverFailedError, tables unchanged, replay still running', async () => {
  const f = await fixture('cutover_giveup');
  const holder = await mysql.createConnection(testConnection(f.db));
  try {
    await holder.query('START TRANSACTION');
    await holder.query(`SELECT COUNT(*) FROM ${id(f.table)}`);
    const before = await snapshot(f.pool);
    await assert.rejects(cutover(options(f, { attempts: 2, session: { ...SESSION, lockWaitTimeout: 1 }, locks: noKill(1) })), CutoverFailedError);
    await holder.query('COMMIT');
    assert.equal(await snapshot(f.pool), before);
    assert.deepEqual(f.replay.calls, []);
    assert.equal(f.warnings.length, 2);
  } finally {
    await holder.end();
    await drop(f);
  }
});

test('an existing old table (a crashed run\'s leftover) or swap table: typed error, nothing changed', async () => {
  const f = await fixture('cutover_leftover');
  try {
    await f.pool.query(`CREATE TABLE ${id(`_${f.table}_old`)} (id INT PRIMARY KEY)`);
    await f.pool.query(`INSERT INTO ${id(`_${f.table}_old`)} VALUES (7)`);
    const before = await snapshot(f.pool);
    await assert.rejects(cutover(options(f)), OldTableExistsError);
    assert.equal(await snapshot(f.pool), before);
    await f.pool.query(`DROP TABLE ${id(`_${f.table}_old`)}`);

    await f.pool.query(`CREATE TABLE ${id(swapTableNames(f.table).shadow)} (id INT PRIMARY KEY)`);
    const before2 = await snapshot(f.pool);
    await assert.rejects(cutover(options(f)), SwapTableExistsError);
    assert.equal(await snapshot(f.pool), before2);
    assert.deepEqual(f.replay.calls, []);
  } finally {
    await drop(f);
  }
});

test('the lock session dies before the RENAME is queued: undone, and the next attempt swaps', async () => {
  const f = await fixture('cutover_adies');
  const killer = await mysql.createConnection(testConnection(f.db));
  f.replay.onFlush = async (conn, n) => {
    if (n === 1) await killer.query('KILL CONNECTION ?', [conn.threadId]);
  };
  try {
    const before = await ids(f.pool, f.table);
    const result = await cutover(options(f));
    assert.equal(result.attempts, 2);
    assert.equal(f.warnings.length, 1);
    assert.deepEqual(f.replay.calls, ['waitFor', 'flush', 'waitFor', 'flush', 'stop']);
    assert.deepEqual(await tables(f.pool), [`_${f.table}_old`, f.table, 'unrelated']);
    assert.ok((await columns(f.pool, f.table)).includes('extra'));
    assert.deepEqual(await ids(f.pool, f.table), before);
  } finally {
    await killer.end();
    await drop(f);
  }
});

test('the lock session dies after the RENAME is queued: the RENAME runs and the swap is reported', async () => {
  const f = await fixture('cutover_adies_late');
  const killer = await mysql.createConnection(testConnection(f.db));
  f.replay.onStop = async () => {
    await killer.query('KILL CONNECTION ?', [f.replay.flushThreads[0]]);
  };
  const app = appPool(f.db, 1);
  try {
    const result = await cutover(options(f));
    assert.equal(result.attempts, 1);
    assert.deepEqual(await tables(f.pool), [`_${f.table}_old`, f.table, 'unrelated']);
    assert.ok((await columns(f.pool, f.table)).includes('extra'));
    await app.query(`INSERT INTO ${id(f.table)} (id, v) VALUES (6000, 'after')`);
    assert.ok((await ids(f.pool, f.table)).includes(6000));
  } finally {
    await app.end();
    await killer.end();
    await drop(f);
  }
});

test('aborting while the lock is awaited rejects promptly with MigrationCancelledError and changes nothing', async () => {
  const f = await fixture('cutover_abort');
  const holder = await mysql.createConnection(testConnection(f.db));
  try {
    await holder.query('START TRANSACTION');
    await holder.query(`SELECT COUNT(*) FROM ${id(f.table)}`);
    const before = await snapshot(f.pool);
    const ac = new AbortController();
    setTimeout(() => ac.abort('test abort'), 300);
    const started = Date.now();
    await assert.rejects(cutover(options(f, { signal: ac.signal, session: { ...SESSION, lockWaitTimeout: 20 } })), MigrationCancelledError);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `took ${elapsed} ms to cancel a 20 s lock wait`);
    const [waiting] = await f.pool.query<RowDataPacket[]>(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'LOCK TABLES%' OR INFO LIKE 'RENAME TABLE%'");
    assert.deepEqual(waiting, [], 'a cutover statement is still running');
    await holder.query('COMMIT');
    assert.equal(await snapshot(f.pool), before);
    assert.deepEqual(f.replay.calls, []);
  } finally {
    await holder.end();
    await drop(f);
  }
});

test('aborting while the lock is held (replay catching up) unlocks, rejects promptly and changes nothing', async () => {
  const f = await fixture('cutover_abort_locked');
  const app = appPool(f.db, 1);
  const ac = new AbortController();
  f.replay.onWaitFor = (signal) => {
    setTimeout(() => ac.abort('test abort'), 200);
    return untilAborted(signal);
  };
  try {
    const before = await snapshot(f.pool);
    const started = Date.now();
    await assert.rejects(cutover(options(f, { signal: ac.signal, session: { ...SESSION, lockWaitTimeout: 20 } })), MigrationCancelledError);
    assert.ok(Date.now() - started < 3000, 'cancel was not prompt');
    assert.equal(await snapshot(f.pool), before);
    await app.query(`INSERT INTO ${id(f.table)} (id, v) VALUES (7000, 'after abort')`); // the lock is gone
    assert.deepEqual(f.replay.calls, ['waitFor']);
  } finally {
    await app.end();
    await drop(f);
  }
});

test('replay that cannot catch up under the lock within lock-wait-timeout: the attempt gives up, the next one swaps', async () => {
  const f = await fixture('cutover_slow_replay');
  f.replay.onWaitFor = (signal, n) => (n === 1 ? untilAborted(signal) : Promise.resolve());
  try {
    const started = Date.now();
    const result = await cutover(options(f, { session: { ...SESSION, lockWaitTimeout: 1 } }));
    assert.equal(result.attempts, 2);
    assert.ok(Date.now() - started >= 1000);
    assert.match(f.warnings[0] ?? '', /replay did not reach .* within 1 s/);
    assert.deepEqual(f.replay.calls, ['waitFor', 'waitFor', 'flush', 'stop']);
    assert.ok((await columns(f.pool, f.table)).includes('extra'));
  } finally {
    await drop(f);
  }
});

test('waitForSentinel blocks while the sentinel exists (Sluice\'s or an operator\'s), calls onWaiting, and aborts promptly', async () => {
  const db = 'cutover_sentinel';
  const pool = await freshDatabase(db);
  const other = appPool(db, 1);
  try {
    let waited = 0;
    await waitForSentinel(pool, db, new AbortController().signal, async () => { waited++; }, 20);
    assert.equal(waited, 0, 'no sentinel: returns at once');

    await createSentinel(pool, db);
    await createSentinel(pool, db); // idempotent
    const [[row]] = await pool.query<RowDataPacket[]>(
      'SELECT TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, CUTOVER_SENTINEL_TABLE]) as unknown as [RowDataPacket[]];
    assert.match(String(row!.c), /DROP TABLE .*_sluice_sentinel/);

    const started = Date.now();
    let droppedAt = 0;
    setTimeout(() => { droppedAt = Date.now(); void other.query(`DROP TABLE ${id(CUTOVER_SENTINEL_TABLE)}`); }, 300);
    await waitForSentinel(pool, db, new AbortController().signal, async () => { waited++; }, 30);
    assert.ok(droppedAt > 0 && Date.now() >= droppedAt, 'returned before the sentinel was dropped');
    assert.ok(Date.now() - started >= 290);
    assert.ok(waited >= 3, `onWaiting called ${waited} times`);

    await other.query(`CREATE TABLE ${id(CUTOVER_SENTINEL_TABLE)} (x INT)`); // an operator's own sentinel
    await createSentinel(pool, db); // left as it is
    assert.deepEqual(await columns(pool, CUTOVER_SENTINEL_TABLE), ['x']);
    const ac = new AbortController();
    setTimeout(() => ac.abort('stop waiting'), 100);
    const abortStart = Date.now();
    await assert.rejects(waitForSentinel(pool, db, ac.signal, async () => {}, 10_000), MigrationCancelledError);
    assert.ok(Date.now() - abortStart < 1000, 'abort was not prompt');
  } finally {
    await other.end();
    await pool.query(`DROP DATABASE ${id(db)}`);
    await pool.end();
  }
});

test('chooseOldTableName: _t_old when free, a UTC timestamped name when taken and kept, else OldTableExistsError; finishOldTable drops or keeps', async () => {
  const f = await fixture('cutover_oldname');
  const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  try {
    assert.equal(await chooseOldTableName(f.pool, f.db, f.table, false, now), '_orders_old');
    await f.pool.query('CREATE TABLE _orders_old (id INT PRIMARY KEY)');
    await f.pool.query('INSERT INTO _orders_old VALUES (99)');
    await assert.rejects(chooseOldTableName(f.pool, f.db, f.table, false, now), OldTableExistsError);
    const stamped = await chooseOldTableName(f.pool, f.db, f.table, true, now);
    assert.equal(stamped, '_orders_old_20260102030405');
    const long = 'q'.repeat(60);
    await f.pool.query(`CREATE TABLE ${id(`_${long.slice(0, 58)}`)} (id INT PRIMARY KEY)`); // unrelated, just noise
    const longName = await chooseOldTableName(f.pool, f.db, long, true, now);
    assert.ok(longName.length <= MAX_IDENTIFIER_LENGTH && longName.endsWith('_old'), longName);

    // keep-old-table run: the original goes to the stamped name, the earlier leftover is untouched
    const originalIds = await ids(f.pool, f.table);
    const result = await cutover(options(f, { oldName: stamped }));
    assert.equal(result.oldTable, stamped);
    assert.deepEqual(await ids(f.pool, stamped), originalIds);
    assert.deepEqual(await ids(f.pool, '_orders_old'), [99]);
    assert.equal(await finishOldTable(f.pool, f.db, f.table, true, now, stamped), stamped);
    assert.ok((await tables(f.pool)).includes(stamped));
    assert.equal(await finishOldTable(f.pool, f.db, f.table, false, now, stamped), null);
    assert.ok(!(await tables(f.pool)).includes(stamped));
    assert.equal(await finishOldTable(f.pool, f.db, f.table, false), null); // default name `_orders_old`
    assert.ok(!(await tables(f.pool)).includes('_orders_old'));
    await assert.rejects(finishOldTable(f.pool, f.db, f.table, true), CutoverFailedError);
  } finally {
    await drop(f);
  }
});
