import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Connection, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { cutover } from '../../core/cutover/cutover.ts';
import { chooseOldTableName, finishOldTable } from '../../core/cutover/old-table.ts';
import { createSentinel, waitForSentinel } from '../../core/cutover/sentinel.ts';
import { sortsAfter, swapTableNames } from '../../core/cutover/names.ts';
import { CutoverFailedError, OldTableExistsError, SwapTableExistsError } from '../../core/cutover/errors.ts';
import type { CutoverLog, ReplayForCutover } from '../../core/cutover/types.ts';
import { resolveLockPolicy } from '../../core/blockers/policy.ts';
import { MigrationCancelledError } from '../../core/errors.ts';
import { throwIfAborted } from '../../core/lifecycle/abort.ts';
import { CUTOVER_SENTINEL_TABLE, MAX_IDENTIFIER_LENGTH, shadowTableName } from '../../core/table/names.ts';
import type { BinlogPosition } from '../../core/types.ts';
import { appPool, freshDatabase, testConnection } from '../support/db.ts';
import { metadataLockView, setMetadataLockView } from '../support/mdl-view.ts';

const id = mysql.escapeId;
const SESSION = { lockWaitTimeout: 2, innodbLockWaitTimeout: 3 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Replay stand-in doing real SQL: each flush copies the source into the shadow with
 * REPLACE … SELECT on the connection it is given (which must hold the cutover's lock).
 */
class CopyingReplay implements ReplayForCutover {
  pending = 0;
  calls: string[] = [];
  flushThreads: number[] = [];
  flushedAt: number[] = [];
  stopped = false;
  onWaitFor?: (signal: AbortSignal, n: number) => Promise<void>;
  onFlush?: (conn: Connection | PoolConnection, n: number) => Promise<void>;
  onStop?: () => Promise<void>;
  constructor(private readonly schema: string, private readonly table: string, private readonly shadow: string) {}

  async waitFor(pos: BinlogPosition, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    assert.ok(pos.file && pos.position > 0, 'waitFor gets a real binlog position');
    this.calls.push('waitFor');
    await this.onWaitFor?.(signal, this.calls.filter((c) => c === 'waitFor').length);
  }

  async flush(conn: Connection | PoolConnection): Promise<number> {
    assert.equal(this.stopped, false, 'flush after stop');
    this.calls.push('flush');
    this.flushThreads.push(conn.threadId);
    this.flushedAt.push(Date.now());
    await this.onFlush?.(conn, this.flushThreads.length);
    const [res] = await conn.query<mysql.ResultSetHeader>(
      `REPLACE INTO ${id(this.schema)}.${id(this.shadow)} (id, v) SELECT id, v FROM ${id(this.schema)}.${id(this.table)}`,
    );
    return res.affectedRows;
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    await this.onStop?.();
    this.stopped = true;
  }
}

interface Fixture {
  db: string;
  table: string;
  shadow: string;
  pool: Pool;
  replay: CopyingReplay;
  warnings: string[];
  log: CutoverLog;
}

/** `table` (id, v) with 50 rows; its shadow adds a column `extra` and holds a copy of the rows. */
async function fixture(db: string, table = 'orders'): Promise<Fixture> {
  const pool = await freshDatabase(db);
  const shadow = shadowTableName(table);
  await pool.query(`CREATE TABLE ${id(table)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
  await pool.query(`INSERT INTO ${id(table)} (id, v) SELECT seq, CONCAT('row ', seq) FROM seq_1_to_50`);
  await pool.query(`CREATE TABLE ${id(shadow)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL, extra INT NOT NULL DEFAULT 42)`);
  await pool.query(`INSERT INTO ${id(shadow)} (id, v) SELECT id, v FROM ${id(table)}`);
  await pool.query('CREATE TABLE unrelated (id INT PRIMARY KEY)');
  const warnings: string[] = [];
  const log: CutoverLog = { info: () => {}, debug: () => {}, warn: (m) => warnings.push(m) };
  return { db, table, shadow, pool, replay: new CopyingReplay(db, table, shadow), warnings, log };
}

async function drop(f: Fixture): Promise<void> {
  await f.pool.query(`DROP DATABASE IF EXISTS ${id(f.db)}`);
  await f.pool.end();
}

const options = (f: Fixture, extra: Partial<Parameters<typeof cutover>[0]> = {}) => ({
  connection: testConnection(f.db), session: SESSION, schema: f.db, table: f.table, shadow: f.shadow,
  replay: f.replay, signal: new AbortController().signal, log: f.log, ...extra,
});

async function tables(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SHOW TABLES');
  return rows.map((r) => String(Object.values(r)[0])).sort();
}

async function columns(pool: Pool, table: string): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [table]);
  return rows.map((r) => String(r.c));
}

async function ids(pool: Pool, table: string): Promise<number[]> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT id FROM ${id(table)} ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

/** Everything about the tables that a cutover could change: names, columns, row checksums. */
async function snapshot(pool: Pool): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const t of await tables(pool)) {
    const [[sum]] = await pool.query<RowDataPacket[]>(`CHECKSUM TABLE ${id(t)}`) as unknown as [RowDataPacket[]];
    out[t] = { columns: await columns(pool, t), checksum: sum!.Checksum };
  }
  return JSON.stringify(out);
}

/** The lock policy with blockers left alive. */
const noKill = (lockWaitTimeout: number) => resolveLockPolicy({ lockWaitTimeout, killBlockers: false });

async function adminRows(sql: string): Promise<RowDataPacket[][]> {
  const admin = appPool(undefined, 1);
  try {
    return [(await admin.query<RowDataPacket[]>(sql))[0]];
  } finally {
    await admin.end();
  }
}

function errno(err: unknown): number | undefined {
  return (err as { errno?: number }).errno;
}

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

/** Three application writers inserting new rows (every 2 ms each) while `during` runs. */
async function withWriters<T>(f: Fixture, during: () => Promise<T>) {
  const app = appPool(f.db, 3);
  const written: { id: number; start: number; end: number }[] = [];
  const errors: unknown[] = [];
  let running = true;
  let next = 10_000;
  const writer = async () => {
    while (running) {
      const rowId = next++;
      const start = Date.now();
      try {
        await app.query(`INSERT INTO ${id(f.table)} (id, v) VALUES (?, 'writer')`, [rowId]);
        written.push({ id: rowId, start, end: Date.now() });
      } catch (err) {
        errors.push(err);
      }
      await sleep(2);
    }
  };
  const writers = [writer(), writer(), writer()];
  try {
    await sleep(150);
    const result = await during();
    await sleep(150);
    running = false;
    await Promise.all(writers);
    const inNew = new Set(await ids(f.pool, f.table));
    const missing = written.filter((w) => !inNew.has(w.id)).map((w) => w.id);
    return { result, written, errors, inNew, missing };
  } finally {
    running = false;
    await Promise.all(writers);
    await app.end();
  }
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

/**
 * The lock-priority assumption, measured: the cutover's lock is granted while writes wait (a short
 * transaction holds the table when it is requested), so the server counts one exclusive grant with
 * weaker requests waiting. At max_write_lock_count=1 that is enough for the server to let the queued
 * writes run before the RENAME at UNLOCK: they land in the old table. Preflight refuses such values.
 */
async function cutoverWithQueuedWrites(db: string, maxWriteLockCount: string) {
  const f = await fixture(db);
  const admin = appPool(undefined, 1);
  const holder = await mysql.createConnection(testConnection(f.db));
  const [[was]] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.max_write_lock_count AS v') as unknown as [RowDataPacket[]];
  // With a metadata lock view Sluice would wait for the holder instead of queueing behind it.
  const view = await metadataLockView(admin);
  f.replay.onFlush = () => sleep(300);
  try {
    await setMetadataLockView(admin, false);
    await admin.query(`SET GLOBAL max_write_lock_count = ${maxWriteLockCount}`);
    return await withWriters(f, async () => {
      await holder.query('START TRANSACTION');
      await holder.query(`UPDATE ${id(f.table)} SET v = v WHERE id = 1`);
      const commit = sleep(700).then(() => holder.query('COMMIT'));
      try {
        return await cutover(options(f, { locks: noKill(5) }));
      } finally {
        await commit;
      }
    });
  } finally {
    await admin.query(`SET GLOBAL max_write_lock_count = ${String(was!.v)}`);
    if (view === 'ACTIVE') await setMetadataLockView(admin, true);
    await holder.end();
    await admin.end();
    await drop(f);
  }
}

test('lock priority: with max_write_lock_count=1 writes queued during the cutover reach the old table; with the default they never do', async () => {
  const low = await cutoverWithQueuedWrites('cutover_wlc_low', '1');
  console.log(`# max_write_lock_count=1: ${low.missing.length} of ${low.written.length} rows written through the cutover went to the old table`);
  assert.ok(low.missing.length > 0, 'every write reached the new table even at max_write_lock_count=1: the measurement did not reproduce');
  const normal = await cutoverWithQueuedWrites('cutover_wlc_default', 'DEFAULT');
  assert.deepEqual(normal.errors, []);
  assert.deepEqual(normal.missing, [], 'a write reached the old table with the default max_write_lock_count');
  const [[now]] = await adminRows('SELECT @@GLOBAL.max_write_lock_count AS v');
  assert.ok(BigInt(String(now!.v)) >= 4294967295n, 'the global was restored');
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

/** Resolves never; rejects like the real replay when the signal aborts. */
const untilAborted = (signal: AbortSignal) => new Promise<void>((_, reject) => {
  signal.addEventListener('abort', () => reject(new MigrationCancelledError(signal.reason)), { once: true });
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

test('the wait for replay under the lock is bounded by --lock-stall-timeout (2 s), not by lock-wait-timeout', async () => {
  const f = await fixture('cutover_stall_bound');
  f.replay.onWaitFor = (signal, n) => (n === 1 ? untilAborted(signal) : Promise.resolve());
  try {
    const started = Date.now();
    const result = await cutover(options(f, { session: { ...SESSION, lockWaitTimeout: 10 } }));
    const elapsed = Date.now() - started;
    assert.equal(result.attempts, 2);
    assert.match(f.warnings[0] ?? '', /replay did not reach .* within 2 s under the lock/);
    // A bound, not a speed: the first attempt held the lock well under lock-wait-timeout (10 s).
    assert.ok(elapsed < 8000, `the cutover took ${elapsed} ms: the lock was held until lock-wait-timeout`);
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
