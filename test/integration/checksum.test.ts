/**
 * The checksum plugin against the real server, each scenario a real migration: snapshots pinned
 * under the lock, a corrupted shadow repaired (and left corrupted when the plugin is disabled), a
 * UNIQUE index over duplicates refused with the original untouched, and aborts that settle cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, MigrationCancelledError, UniqueIndexViolationError, type MigrationResult, type SluicePlugin } from '../../mod.ts';
import { ChecksumLockError, checksumPlugin } from '../../plugins/checksum/index.ts';
import { SnapshotSet } from '../../plugins/checksum/snapshots.ts';
import { createTableLocks, OwnSessions, resolveLockPolicy } from '../../core/blockers/index.ts';
import { fileDatabases, testConnection } from '../support/db.ts';

const { database } = fileDatabases();

interface Outcome {
  logs: Array<{ level: string; message: string }>;
  result?: MigrationResult;
  error?: unknown;
}

async function migrate(db: string, statement: string, plugins: SluicePlugin[], extra: Record<string, unknown> = {},
  onLog?: (message: string, cancel: () => void) => void): Promise<Outcome> {
  const out: Outcome = { logs: [] };
  const m = await createMigration({ connection: testConnection(db), statement, plugins, tryNative: false, ...extra });
  m.on((e) => {
    // the pass's progress (step events) as a line, so the tests below read it with the logs
    const line = e.type === 'step' ? { level: 'step', message: `checksum: ${e.done}/${e.total} rows checked` } : e.type === 'log' ? e : undefined;
    if (!line) return;
    out.logs.push({ level: line.level, message: line.message });
    onLog?.(line.message, () => m.cancel('test cancel'));
  });
  try {
    out.result = await m.run();
  } catch (err) {
    out.error = err;
  } finally {
    await m[Symbol.asyncDispose]();
  }
  return out;
}

const passes = (o: Outcome) => o.logs.filter((l) => /^checksum: pass \d+ started/.test(l.message)).length;
const rows = async (pool: Pool, sql: string) => (await pool.query<RowDataPacket[]>(sql))[0].map((r) => ({ ...r }));

test('snapshots are taken under the lock after replay syncs, and stay pinned after UNLOCK', async () => {
  const db = 'checksum_pin';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)');
  await pool.query('CREATE TABLE _t_new LIKE t');
  await pool.query('INSERT INTO t VALUES (1, 1), (2, 2)');
  const q = (table: string) => `${mysql.escapeId(db)}.${mysql.escapeId(table)}`;
  const defers: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  let lockSeenByOthers = false;
  let readable = false;
  let writeBlocked = false;
  const calls: string[] = [];
  const other = await pool.getConnection();
  await other.query('SET SESSION lock_wait_timeout = 1');
  const set = await SnapshotSet.open({
    connection: testConnection(db),
    session: { lockWaitTimeout: 5, innodbLockWaitTimeout: 3 },
    schema: db, source: 't', shadow: '_t_new', count: 2,
    signal: new AbortController().signal,
    onOpen: async (name, close) => { defers.push(name); closers.push(close); },
    locks: createTableLocks(resolveLockPolicy({ lockWaitTimeout: 5 }), new OwnSessions(), { info() {}, warn() {}, debug() {} }),
    log: { debug() {} },
    replay: {
      // Stands in for replay. Before the lock: a change the application makes meanwhile, applied.
      async catchUp() {
        calls.push('catchUp');
        await pool.query('UPDATE t SET v = v + 10 WHERE id = 1');
        await pool.query('REPLACE INTO _t_new SELECT * FROM t WHERE id = 1');
      },
      // Under the lock: the tail, written through the lock connection like syncUnderLock does.
      async syncUnderLock(conn) {
        calls.push('syncUnderLock');
        const [open] = await pool.query<RowDataPacket[]>(`SHOW OPEN TABLES FROM ${mysql.escapeId(db)} WHERE In_use > 0`);
        lockSeenByOthers = open.length === 2;
        // The source is locked READ: the application still reads it, but cannot write it.
        readable = await other.query('SELECT COUNT(*) AS n FROM t').then(() => true, () => false);
        writeBlocked = await other.query('UPDATE t SET v = v WHERE id = 2').then(() => false, (e: { errno?: number }) => e.errno === 1205);
        await conn.query(`REPLACE INTO ${q('_t_new')} SELECT * FROM ${q('t')}`);
      },
    },
  });
  try {
    assert.deepEqual(defers, ['checksum lock connection', 'checksum snapshot connection 1', 'checksum snapshot connection 2']);
    const heldMs = await set.take();
    assert.ok(lockSeenByOthers, 'both tables were locked while replay synced');
    assert.ok(readable && writeBlocked, 'the source was locked READ: readable, not writable');
    assert.deepEqual(calls, ['catchUp', 'syncUnderLock'], 'replay caught up before the lock, and only the tail under it');
    assert.ok(heldMs >= 0 && heldMs < 5000);
    // Writes after UNLOCK (they do not wait: the lock is gone) are invisible to every snapshot.
    await pool.query('UPDATE t SET v = 99 WHERE id = 2');
    await pool.query('DELETE FROM _t_new WHERE id = 1');
    for (const conn of set.connections) {
      const [src] = await conn.query<RowDataPacket[]>('SELECT id, v FROM t ORDER BY id');
      const [dst] = await conn.query<RowDataPacket[]>('SELECT id, v FROM _t_new ORDER BY id');
      assert.deepEqual(src.map((r) => [r.id, r.v]), [[1, 11], [2, 2]]);
      assert.deepEqual(dst.map((r) => [r.id, r.v]), [[1, 11], [2, 2]]);
    }
    // A retake sees the latest state, its own sync included.
    await set.take();
    for (const conn of set.connections) {
      const [src] = await conn.query<RowDataPacket[]>('SELECT id, v FROM t ORDER BY id');
      const [dst] = await conn.query<RowDataPacket[]>('SELECT id, v FROM _t_new ORDER BY id');
      assert.deepEqual(src.map((r) => [r.id, r.v]), [[1, 21], [2, 99]]);
      assert.deepEqual(dst.map((r) => [r.id, r.v]), [[1, 21], [2, 99]]);
    }
    const threads = set.threadIds;
    await set.close();
    const [left] = await pool.query<RowDataPacket[]>(
      `SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN (?) AND COMMAND <> 'Sleep'`, [threads]);
    assert.deepEqual(left, [], 'no statement of ours still runs after close()');
  } finally {
    await set.close();
    await Promise.all(closers.map((c) => c()));
    other.release();
  }
});

/** A plugin that damages the shadow table after the copy: one changed row, one NULLed, one deleted, two bogus. */
function corruptShadow(pool: Pool): SluicePlugin & { changed: number[] } {
  const changed: number[] = [];
  return definePlugin({
    name: 'corrupt-shadow',
    changed,
    async afterCopy() {
      for (const sql of [
        "UPDATE _t_new SET v = 'corrupted' WHERE id = 100",
        'UPDATE _t_new SET n = NULL WHERE id = 2000',
        'DELETE FROM _t_new WHERE id = 4000',
        "INSERT INTO _t_new (id, v, n) VALUES (4001, 'bogus', 1)",
        "INSERT INTO _t_new (id, v, n) VALUES (999999, 'bogus', 2)",
      ]) changed.push((await pool.query<ResultSetHeader>(sql))[0].affectedRows);
    },
  });
}

/** Captures the source's rows once verification is over (nothing writes to it in these tests). */
function captureSource(pool: Pool): SluicePlugin & { rows: Record<string, unknown>[] } {
  const rows: Record<string, unknown>[] = [];
  return definePlugin({
    name: 'capture-source',
    rows,
    async beforeCutover() {
      rows.push(...(await pool.query<RowDataPacket[]>('SELECT id, v, n FROM t ORDER BY id'))[0].map((r) => ({ ...r })));
    },
  });
}

async function seedCorruptible(pool: Pool): Promise<void> {
  await pool.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL, n INT NULL)');
  // Even ids 2..6000, so the bogus odd id 4001 sits inside a chunk; n is NULL on every 5th row.
  await pool.query("INSERT INTO t SELECT seq * 2, CONCAT('row ', seq), IF(seq % 5 = 0, NULL, seq) FROM seq_1_to_3000");
}

test('a shadow table damaged after the copy is repaired by re-copying and the migration completes', async () => {
  const db = 'checksum_repair';
  const pool = await database(db);
  await seedCorruptible(pool);
  const corrupt = corruptShadow(pool);
  const capture = captureSource(pool);
  const out = await migrate(db, 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7',
    [checksumPlugin({ rowsPerChunk: 500, threads: 3 }), corrupt, capture], { keepOldTable: true });
  assert.equal(out.error, undefined, String(out.error));
  assert.deepEqual(corrupt.changed, [1, 1, 1, 1, 1], 'every corruption took effect');
  assert.equal(passes(out), 2, 'one failed pass, then a clean one');
  const warn = out.logs.find((l) => l.level === 'warn' && l.message.startsWith('checksum: pass 1 found'));
  assert.match(warn?.message ?? '', /found [3-5] mismatched chunk\(s\)/);
  assert.ok(out.logs.some((l) => /^checksum: tables locked \d+ ms/.test(l.message)), 'lock time is logged');
  assert.ok(out.logs.some((l) => /^checksum: 3000\/\d+ rows checked$/.test(l.message)), 'progress is logged');

  const expected = capture.rows.map((r) => ({ ...r, extra: 7 }));
  assert.equal(expected.length, 3000);
  assert.deepEqual(await rows(pool, 'SELECT id, v, n, extra FROM t ORDER BY id'), expected);
  // The original, kept as _t_old, is the source as it was at the end: the same rows.
  assert.deepEqual(await rows(pool, 'SELECT id, v, n FROM _t_old ORDER BY id'), capture.rows);
});

test('values swapped between two shadow rows (equal lengths, one chunk) are found and repaired', async () => {
  const db = 'checksum_swap';
  const pool = await database(db);
  await seedCorruptible(pool);
  const changed: number[] = [];
  const swap = definePlugin({
    name: 'swap-shadow-values',
    async afterCopy() {
      // A lost `UPDATE … SET v = CASE id …`: ids 20 and 40 hold 'row 10' and 'row 20' in the source.
      for (const sql of [
        "UPDATE _t_new SET v = CASE id WHEN 20 THEN 'row 20' WHEN 40 THEN 'row 10' END WHERE id IN (20, 40)",
        'UPDATE _t_new SET n = CASE id WHEN 102 THEN 52 WHEN 104 THEN 51 END WHERE id IN (102, 104)',
      ]) changed.push((await pool.query<ResultSetHeader>(sql))[0].affectedRows);
    },
  });
  const capture = captureSource(pool);
  const out = await migrate(db, 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7',
    [checksumPlugin({ rowsPerChunk: 500, threads: 2 }), swap, capture]);
  assert.equal(out.error, undefined, String(out.error));
  assert.deepEqual(changed, [2, 2], 'both swaps took effect');
  assert.equal(passes(out), 2, 'the swap was found in pass 1, the repair verified in pass 2');
  assert.match(out.logs.find((l) => l.message.startsWith('checksum: pass 1 found'))?.message ?? '', /found 1 mismatched chunk\(s\).*with different values/);
  assert.deepEqual(await rows(pool, 'SELECT id, v, n, extra FROM t ORDER BY id'), capture.rows.map((r) => ({ ...r, extra: 7 })));
});

test('with enabled: false the damage survives the migration, and one warning says the checksum is off', async () => {
  const db = 'checksum_disabled';
  const pool = await database(db);
  await seedCorruptible(pool);
  const out = await migrate(db, 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7', [checksumPlugin({ enabled: false }), corruptShadow(pool)]);
  assert.equal(out.error, undefined, String(out.error));
  assert.equal(out.logs.filter((l) => l.message.startsWith('checksum disabled: ')).length, 1);
  assert.equal(out.logs.find((l) => l.message.startsWith('checksum disabled: '))?.level, 'warn');
  assert.equal(passes(out), 0);
  const got = await rows(pool, "SELECT id, v FROM t WHERE id IN (100, 4000, 4001) OR v = 'bogus' ORDER BY id");
  assert.deepEqual(got, [{ id: 100, v: 'corrupted' }, { id: 4001, v: 'bogus' }, { id: 999999, v: 'bogus' }]);
});

test('a UNIQUE index added over duplicate values is refused (by the copier, before any checksum pass) and the original is untouched', async () => {
  const db = 'checksum_unique';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, c INT NULL, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, IF(seq % 97 = 0, NULL, seq % 50), CONCAT('v', seq) FROM seq_1_to_2000");
  const before = await rows(pool, 'SELECT * FROM t ORDER BY id');
  const [[createBefore]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
  const out = await migrate(db, 'ALTER TABLE t ADD UNIQUE INDEX uq_c (c)', [checksumPlugin({ maxPasses: 2, rowsPerChunk: 400 })]);
  assert.ok(out.error instanceof UniqueIndexViolationError, `expected UniqueIndexViolationError, got ${String(out.error)}`);
  assert.equal(out.error.code, 'UNIQUE_INDEX_VIOLATION');
  assert.equal(out.error.index, 'uq_c');
  assert.equal(passes(out), 0, 'the copy stopped before the checksum');
  assert.doesNotMatch(out.error.message, /\n/, 'one line');
  assert.equal(out.logs.some((l) => l.message.startsWith('cutover:')), false, 'no cutover was attempted');
  const [tables] = await pool.query<RowDataPacket[]>(`SHOW TABLES FROM ${mysql.escapeId(db)} LIKE 't'`);
  assert.equal(tables.length, 1, 'the original is still named t');
  const [[createAfter]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
  assert.equal(createAfter!['Create Table'], createBefore!['Create Table']);
  assert.deepEqual(await rows(pool, 'SELECT * FROM t ORDER BY id'), before);
});

/** Statements still running on the given threads, and tables still in use, right after a hook settled. */
async function leftovers(pool: Pool, db: string, threads: number[]): Promise<{ running: unknown[]; inUse: unknown[] }> {
  const [running] = await pool.query<RowDataPacket[]>(
    `SELECT ID, COMMAND, INFO FROM information_schema.PROCESSLIST WHERE ID IN (?) AND COMMAND <> 'Sleep'`, [threads]);
  const [inUse] = await pool.query<RowDataPacket[]>(`SHOW OPEN TABLES FROM ${mysql.escapeId(db)} WHERE In_use > 0`);
  return { running: running.map((r) => ({ ...r })), inUse: inUse.map((r) => ({ ...r })) };
}

const threadIds = (o: Outcome) => {
  const line = o.logs.find((l) => l.message.startsWith('checksum: connection ids '))?.message ?? '';
  return [...line.matchAll(/\d+/g)].map((m) => Number(m[0]));
};

test('abort in the middle of a pass: the run settles cancelled, no query or table lock is left', async () => {
  const db = 'checksum_abort_walk';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_40000");
  let ids: number[] = [];
  let seenAt: { leftovers: Promise<{ running: unknown[]; inUse: unknown[] }> } | undefined;
  let progressSeen = '';
  const probe = definePlugin({
    name: 'probe',
    // Runs on the cancel path right after the checksum hook settled, before dispose.
    onCancel() { seenAt = { leftovers: leftovers(pool, db, ids) }; },
  });
  const out = await migrate(db, 'ALTER TABLE t MODIFY v VARCHAR(64) NOT NULL',
    [checksumPlugin({ rowsPerChunk: 100, threads: 2 }), probe], { progressIntervalMs: 50 },
    (message, cancel) => {
      if (message.startsWith('checksum: connection ids ')) ids = [...message.matchAll(/\d+/g)].map((m) => Number(m[0]));
      if (!progressSeen && /^checksum: \d+\/\d+ rows checked$/.test(message)) {
        progressSeen = message;
        cancel();
      }
    });
  assert.ok(out.error instanceof MigrationCancelledError, `expected a cancellation, got ${String(out.error)}`);
  const [checked, total] = [...progressSeen.matchAll(/\d+/g)].map((m) => Number(m[0]));
  assert.ok(checked! > 0 && checked! < 40000 && total! >= 40000, `cancelled mid-pass (${progressSeen})`);
  assert.equal(out.logs.some((l) => / match: /.test(l.message)), false, 'the pass did not finish');
  assert.deepEqual(ids, threadIds(out));
  assert.ok(seenAt, 'onCancel ran');
  assert.deepEqual(await seenAt.leftovers, { running: [], inUse: [] });
  // The table takes writes at once (no lock left), and still has every row.
  await pool.query('SET SESSION lock_wait_timeout = 2');
  await pool.query("UPDATE t SET v = 'after' WHERE id = 1");
  const [[count]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM t');
  assert.equal(Number(count!.n), 40000);
});

test('abort while LOCK TABLES waits behind an open transaction: the wait is killed and the run settles promptly', async () => {
  const db = 'checksum_abort_lock';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_500");
  const holder = await pool.getConnection();
  let ids: number[] = [];
  let cancelledAt = 0;
  let waitingOn = '';
  let leftoversAtCancel: Promise<{ running: unknown[]; inUse: unknown[] }> | undefined;
  const probe = definePlugin({ name: 'probe', onCancel() { leftoversAtCancel = leftovers(pool, db, ids); } });
  try {
    // An application transaction that wrote t holds its metadata lock: LOCK TABLES t READ must wait.
    const blocker = definePlugin({
      name: 'blocker',
      async afterCopy() {
        await holder.query('START TRANSACTION');
        await holder.query('UPDATE t SET v = v WHERE id = 1');
        // Then busy (a running statement): without a view, Sluice's NOWAIT probes take an idle transaction
        // for a blocker and do not queue behind it, a busy one they queue behind after 0.5 s.
        holder.query('SELECT SLEEP(4)').catch(() => undefined);
      },
    });
    // With a metadata lock view Sluice does not even queue LOCK TABLES behind the holder: it waits idle.
    const exactView = await pool.query('SELECT 1 FROM information_schema.METADATA_LOCK_INFO LIMIT 0').then(() => true, () => false);
    const out = await migrate(db, 'ALTER TABLE t MODIFY v VARCHAR(64) NOT NULL',
      [blocker, checksumPlugin(), probe], { lockWaitTimeout: 30, killBlockers: false },
      (message, cancel) => {
        if (message.startsWith('checksum: connection ids ')) ids = [...message.matchAll(/\d+/g)].map((m) => Number(m[0]));
        if (message.startsWith('checksum: pass 1 started')) {
          setTimeout(async () => {
            // The lock connection is waiting for the table metadata lock right now.
            const [waiting] = await pool.query<RowDataPacket[]>(
              'SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = ?', [ids[0]]);
            waitingOn = String(waiting[0]?.INFO ?? '');
            cancelledAt = Date.now();
            cancel();
          }, 1500);
        }
      });
    const settledMs = Date.now() - cancelledAt;
    assert.ok(out.error instanceof MigrationCancelledError, `expected a cancellation, got ${String(out.error)}`);
    if (exactView) assert.equal(waitingOn, '', 'the lock connection waits without queueing LOCK TABLES');
    else assert.match(waitingOn, /^LOCK TABLES /, 'the cancel came while LOCK TABLES was waiting');
    assert.ok(settledMs < 5000, `settled ${settledMs} ms after the cancel (lock_wait_timeout is 30 s)`);
    assert.ok(leftoversAtCancel, 'onCancel ran');
    assert.deepEqual(await leftoversAtCancel, { running: [], inUse: [] });
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
});

test('LOCK TABLES that keeps timing out behind a long transaction fails with ChecksumLockError, leaving nothing behind', async () => {
  const db = 'checksum_lock_timeout';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_500");
  const holder = await pool.getConnection();
  let ids: number[] = [];
  try {
    const blocker = definePlugin({
      name: 'blocker',
      async afterCopy() {
        await holder.query('START TRANSACTION');
        await holder.query('UPDATE t SET v = v WHERE id = 1');
      },
    });
    const out = await migrate(db, 'ALTER TABLE t MODIFY v VARCHAR(64) NOT NULL', [blocker, checksumPlugin()], { lockWaitTimeout: 1, killBlockers: false },
      (message) => { if (message.startsWith('checksum: connection ids ')) ids = [...message.matchAll(/\d+/g)].map((m) => Number(m[0])); });
    assert.ok(out.error instanceof ChecksumLockError, `expected ChecksumLockError, got ${String(out.error)}`);
    assert.equal(out.error.code, 'CHECKSUM_LOCK_TIMEOUT');
    assert.match(out.error.message, /3 attempt\(s\) of 1 s/);
    assert.equal(ids.length, 3);
    assert.deepEqual(await leftovers(pool, db, ids), { running: [], inUse: [] });
    const [tables] = await pool.query<RowDataPacket[]>(`SHOW TABLES FROM ${mysql.escapeId(db)} LIKE 't'`);
    assert.equal(tables.length, 1);
  } finally {
    await holder.query('ROLLBACK');
    holder.release();
  }
});
