/**
 * Rows the copier or replay would drop or change are refused with a typed error, whether the
 * checksum runs or not, and the original table stays as it was:
 *  - a new UNIQUE index over duplicate source values: the copier's INSERT IGNORE skipped the row
 *    (a duplicate on another key than PRIMARY), replay's REPLACE deleted another row;
 *  - a value that changes on the way when it arrives through replay (a note, or a strict-mode
 *    error), as the copier refuses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, LossyConversionError, UniqueIndexViolationError, type SluicePlugin } from '../../mod.ts';
import { appPool, fileDatabases, testConnection } from '../support/db.ts';

const { database } = fileDatabases();

async function run(db: string, statement: string, opts: { checksum: boolean; plugins?: SluicePlugin[] }): Promise<unknown> {
  const m = await createMigration({
    connection: testConnection(db), statement, tryNative: false, checksum: opts.checksum, plugins: opts.plugins ?? [], threads: 1, targetChunkMs: 5,
  });
  try {
    await m.run();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await m[Symbol.asyncDispose]();
  }
}

async function state(pool: Pool): Promise<{ create: string; rows: unknown[]; tables: string[] }> {
  const [[c]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM t ORDER BY id');
  const [tables] = await pool.query<RowDataPacket[]>("SHOW TABLES LIKE '%t%'");
  return { create: String(c!['Create Table']), rows: rows.map((r) => ({ ...r })), tables: tables.map((r) => String(Object.values(r)[0])) };
}

/** Runs `sql` once the copy is done, while replay runs (so the rows reach the shadow only through replay). */
const afterCopy = (pool: Pool, ...sql: string[]) => definePlugin({
  name: 'write-during-replay',
  async afterCopy() {
    for (const s of sql) await pool.query(s);
  },
});

for (const checksum of [false, true]) {
  test(`copier: a new UNIQUE index over duplicate values stops the copy with the index and a value named (checksum ${checksum ? 'on' : 'off'})`, async () => {
    const db = `refuse_unique_copy_${checksum ? 'on' : 'off'}`;
    const pool = await database(db);
    await pool.query('CREATE TABLE t (id INT PRIMARY KEY, c INT NULL, v VARCHAR(20) NOT NULL)');
    await pool.query("INSERT INTO t SELECT seq, IF(seq % 97 = 0, NULL, seq % 50), CONCAT('v', seq) FROM seq_1_to_2000");
    const before = await state(pool);
    const err = await run(db, 'ALTER TABLE t ADD UNIQUE INDEX uq_c (c)', { checksum });
    assert.ok(err instanceof UniqueIndexViolationError, `expected UniqueIndexViolationError, got ${String(err)}`);
    assert.equal(err.code, 'UNIQUE_INDEX_VIOLATION');
    assert.equal(err.index, 'uq_c');
    assert.match(String(err.value), /^\d+$/);
    assert.match(err.message, /uq_c/);
    assert.doesNotMatch(err.message, /\n/);
    const after = await state(pool);
    assert.equal(after.create, before.create, 'the original table is unchanged');
    assert.deepEqual(after.rows, before.rows);
  });
}

test('copier: a duplicate on a UNIQUE index is refused even when SHOW WARNINGS lists none of the warnings (max_error_count 0)', async () => {
  const db = 'refuse_unique_unlisted';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, c INT NOT NULL)');
  await pool.query('INSERT INTO t SELECT seq, seq FROM seq_1_to_500');
  await pool.query('UPDATE t SET c = 1 WHERE id = 400');
  const admin = appPool(undefined, 1);
  try {
    // New sessions (the copier's pool) list no warning at all; the server still counts them.
    await admin.query('SET GLOBAL max_error_count = 0');
    const err = await run(db, 'ALTER TABLE t ADD UNIQUE INDEX uq_c (c)', { checksum: false });
    assert.ok(err instanceof UniqueIndexViolationError, `expected UniqueIndexViolationError, got ${String(err)}`);
    assert.equal(err.index, 'uq_c');
    assert.equal(err.value, '1', 'rows 1 and 400 share c = 1');
  } finally {
    await admin.query('SET GLOBAL max_error_count = DEFAULT');
    await admin.end();
  }
  assert.equal((await state(pool)).rows.length, 500);
});

test('copier: a unique value moved from an already copied row to a row not copied yet is not a duplicate, and that row is copied', { timeout: 60_000 }, async () => {
  const db = 'refuse_unique_stale_ok';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, c VARCHAR(10) NOT NULL, UNIQUE KEY uq_c (c))');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('c', seq) FROM seq_1_to_3000");
  const holder = await pool.getConnection();
  let moved = false;
  const move = definePlugin({
    name: 'move-unique-value',
    async beforeChunk(_ctx, chunk) {
      // The chunk that reads row 2900, when row 5 is already copied.
      const covers = (chunk.lower === null || Number(chunk.lower[0]) < 2900) && (chunk.upper === null || Number(chunk.upper[0]) >= 2900);
      if (moved || chunk.index < 1 || !covers) return;
      moved = true;
      // The shadow's row 5 is held so that replay cannot apply the change of row 5 (nor of 2900) before
      // the copier reads row 2900: its INSERT IGNORE meets the stale row 5 on uq_c.
      await holder.query('START TRANSACTION');
      await holder.query('SELECT * FROM _t_new WHERE id = 5 FOR UPDATE');
      await pool.query("UPDATE t SET c = 'moved' WHERE id = 5");
      await pool.query("UPDATE t SET c = 'c5' WHERE id = 2900");
      setTimeout(() => void holder.query('COMMIT'), 1500);
    },
  });
  try {
    const err = await run(db, 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7', { checksum: false, plugins: [move] });
    assert.equal(err, undefined, String(err));
  } finally {
    holder.release();
  }
  assert.ok(moved);
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, c, extra FROM t WHERE id IN (5, 2900) ORDER BY id');
  assert.deepEqual(rows.map((r) => [r.id, r.c, r.extra]), [[5, 'moved', 7], [2900, 'c5', 7]]);
  const [[n]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM t');
  assert.equal(Number(n!.n), 3000, 'no row lost');
});

test('replay: a row inserted during replay that duplicates a new UNIQUE value stops the migration (checksum off)', async () => {
  const db = 'refuse_unique_replay';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, c VARCHAR(10) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('c', seq) FROM seq_1_to_1000");
  const err = await run(db, 'ALTER TABLE t ADD UNIQUE INDEX uq_c (c)', {
    checksum: false, plugins: [afterCopy(pool, "INSERT INTO t VALUES (5000, 'c17')")],
  });
  assert.ok(err instanceof UniqueIndexViolationError, `expected UniqueIndexViolationError, got ${String(err)}`);
  assert.equal(err.index, 'uq_c');
  assert.equal(err.value, 'c17');
  const after = await state(pool);
  assert.equal(after.rows.length, 1001, 'the original keeps every row');
  assert.doesNotMatch(after.create, /uq_c/);
});

test('replay: a duplicate of a new UNIQUE value written just before the cutover stops it (replay loop or the flush under the lock)', async () => {
  const db = 'refuse_unique_cutover';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, c INT NOT NULL)');
  await pool.query('INSERT INTO t SELECT seq, seq FROM seq_1_to_1000');
  const late = definePlugin({
    name: 'write-before-cutover',
    async beforeCutover() {
      await pool.query('INSERT INTO t VALUES (5000, 250)');
    },
  });
  const err = await run(db, 'ALTER TABLE t ADD UNIQUE INDEX uq_c (c)', { checksum: false, plugins: [late] });
  assert.ok(err instanceof UniqueIndexViolationError, `expected UniqueIndexViolationError, got ${String(err)}`);
  assert.equal(err.index, 'uq_c');
  assert.equal(err.value, '250');
  const after = await state(pool);
  assert.equal(after.rows.length, 1001);
  assert.doesNotMatch(after.create, /uq_c/, 'not cut over');
});

test('replay: a value rounded on the way (a note) fails with LossyConversionError, as the copier would (checksum on)', async () => {
  const db = 'refuse_lossy_replay_note';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, d DECIMAL(10,2) NOT NULL)');
  await pool.query('INSERT INTO t SELECT seq, seq + 0.50 FROM seq_1_to_500');
  const err = await run(db, 'ALTER TABLE t MODIFY d DECIMAL(10,1) NOT NULL', {
    checksum: true, plugins: [afterCopy(pool, 'INSERT INTO t VALUES (9000, 1.25)')],
  });
  assert.ok(err instanceof LossyConversionError, `expected LossyConversionError, got ${String(err)}`);
  assert.equal(err.column, 'd');
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT d FROM t WHERE id = 9000');
  assert.equal(row!.d, '1.25', 'the original keeps the value');
  const [cols] = await pool.query<RowDataPacket[]>(`SHOW COLUMNS FROM t LIKE 'd'`);
  assert.equal(String(cols[0]!.Type), 'decimal(10,2)');
});

test('replay: a value out of range for the new type (a strict-mode error) fails with LossyConversionError', async () => {
  const db = 'refuse_lossy_replay_error';
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)');
  await pool.query('INSERT INTO t SELECT seq, seq % 100 FROM seq_1_to_500');
  const err = await run(db, 'ALTER TABLE t MODIFY v TINYINT NOT NULL', {
    checksum: false, plugins: [afterCopy(pool, 'UPDATE t SET v = 1000 WHERE id = 7')],
  });
  assert.ok(err instanceof LossyConversionError, `expected LossyConversionError, got ${String(err)}`);
  assert.equal(err.column, 'v');
  assert.equal(err.warningCode, 1264);
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT v FROM t WHERE id = 7');
  assert.equal(row!.v, 1000);
});
