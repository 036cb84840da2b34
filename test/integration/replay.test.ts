/**
 * Binlog replay against the real server: key fidelity per PK type, transactions and rollbacks,
 * the commit race, DDL detection, resume from a saved position, stop(), the cutover lock.
 * Every check compares the shadow table with an independent SELECT of the source.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { BinlogReplayer, type ReplayOptions } from '../../core/replay/replayer.ts';
import { ddlChangingTable } from '../../core/replay/ddl.ts';
import { keyColumns, keyPredicate } from '../../core/replay/keys.ts';
import { BinlogStreamError, ReplayStoppedError, SourceTableChangedError } from '../../core/replay/errors.ts';
import { currentBinlogPosition, compareBinlogPositions, openConnection, openPool } from '../../core/connection/connection.ts';
import { MigrationCancelledError } from '../../core/errors.ts';
import type { ColumnInfo, ColumnMapping, TableInfo } from '../../core/table/types.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

const SHADOW = '_t_new';
const databases: string[] = [];
const pools: Pool[] = [];

after(async () => {
  const admin = pools[0];
  if (admin) for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(db)}`);
  for (const p of pools) await p.end();
});

interface Env {
  db: string;
  app: Pool; // what an application uses
  sluice: Pool; // Sluice's session setup, for flushes
  info: TableInfo;
  mapping: ColumnMapping;
}

/** A fresh database with `t` (the source, created by `ddl`) and `_t_new` LIKE it, holding a copy. */
async function env(db: string, ddl: string, seed: string[] = []): Promise<Env> {
  const app = await freshDatabase(db);
  const sluice = openPool(testConnection(db), undefined, 4);
  pools.push(app, sluice);
  databases.push(db);
  await app.query(ddl);
  for (const sql of seed) await app.query(sql);
  await app.query(`CREATE TABLE ${SHADOW} LIKE t`);
  await app.query(`INSERT INTO ${SHADOW} SELECT * FROM t`);
  const info = await tableInfo(app, db, 't');
  const names = info.columns.map((c) => c.name);
  return { db, app, sluice, info, mapping: { source: names, target: names } };
}

async function tableInfo(pool: Pool, schema: string, name: string): Promise<TableInfo> {
  const [cols] = await pool.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME n, COLUMN_TYPE ct, DATA_TYPE dt, IS_NULLABLE nul, CHARACTER_SET_NAME cs, COLLATION_NAME co
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [schema, name]);
  const [pk] = await pool.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME n FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, [schema, name]);
  const columns: ColumnInfo[] = cols.map((c) => ({
    name: c.n, columnType: c.ct, dataType: c.dt, nullable: c.nul === 'YES', generated: false,
    charset: c.cs, collation: c.co, unsigned: /unsigned/.test(c.ct),
  }));
  return {
    schema, name, columns, primaryKey: pk.map((r) => String(r.n)), indexes: [], foreignKeys: [], triggers: [],
    engine: 'InnoDB', autoIncrement: null, rowsEstimate: 0,
  };
}

async function replayer(e: Env, extra: Partial<ReplayOptions> = {}): Promise<BinlogReplayer> {
  return BinlogReplayer.start({
    connection: testConnection(), pool: e.sluice, source: e.info, shadow: SHADOW, mapping: e.mapping,
    start: await currentBinlogPosition(e.app), ...extra,
  });
}

/** Both tables, all columns, ordered by the PK. */
async function both(e: Env): Promise<{ source: unknown[]; shadow: unknown[] }> {
  const order = e.info.primaryKey.map((c) => mysql.escapeId(c)).join(', ');
  const [source] = await e.app.query(`SELECT * FROM t ORDER BY ${order}`);
  const [shadow] = await e.app.query(`SELECT * FROM ${SHADOW} ORDER BY ${order}`);
  return { source: source as unknown[], shadow: shadow as unknown[] };
}

async function assertInSync(e: Env, message?: string): Promise<void> {
  const { source, shadow } = await both(e);
  assert.deepEqual(shadow, source, message);
}

/** Waits until replay has received everything written so far, then flushes. */
async function catchUp(r: BinlogReplayer, e: Env): Promise<number> {
  const pos = await currentBinlogPosition(e.app);
  await r.waitFor(pos, AbortSignal.timeout(20_000));
  return r.flush();
}

async function dumpThreads(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>('SHOW PROCESSLIST');
  return rows.filter((r) => r.Command === 'Binlog Dump').length;
}

// ---------------------------------------------------------------------------------------------

describe('key fidelity: insert, update, PK update and delete of every key type', () => {
  // Six distinct keys per type: four copied rows (k0 untouched, k1 updated, k2 moved to k5,
  // k3 deleted), k4 inserted, k5 the PK update's target. Values are SQL literals.
  const cases: Array<{ name: string; column: string; keys: string[] }> = [
    { name: 'int', column: 'k INT', keys: ['-2147483648', '0', '1', '2147483647', '42', '-7'] },
    { name: 'bigint_unsigned', column: 'k BIGINT UNSIGNED', keys: ['18446744073709551615', '18446744073709551614', '9007199254740993', '0', '9007199254740992', '18446744073709551613'] },
    { name: 'varchar_general_ci', column: 'k VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci', keys: [`'😀'`, `'a😀'`, `'Ωmega ß'`, `''`, `'b🌊z'`, `'trailing '`] },
    { name: 'binary16', column: 'k BINARY(16)', keys: [`X'00000000000000000000000000000000'`, `X'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'`, `X'00FF0000000000000000000000000000'`, `X'FF00000000000000000000000000FF00'`, `X'01000000000000000000000000000000'`, `X'80'`] },
    { name: 'datetime6', column: 'k DATETIME(6)', keys: [`'2024-01-02 03:04:05.123456'`, `'2024-01-02 03:04:05.123457'`, `'1970-01-01 00:00:00.000000'`, `'9999-12-31 23:59:59.999999'`, `'2024-01-02 03:04:05.123458'`, `'2024-01-02 03:04:05.000001'`] },
    { name: 'decimal20_6', column: 'k DECIMAL(20,6)', keys: ['12345678901234.123456', '12345678901234.123457', '-99999999999999.999999', '0.000001', '12345678901234.123458', '99999999999999.999999'] },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const [k0, k1, k2, k3, k4, k5] = c.keys;
      const e = await env(`replay_key_${c.name}`, `CREATE TABLE t (${c.column}, v VARCHAR(20) NOT NULL, PRIMARY KEY (k))`, [
        `INSERT INTO t VALUES (${k0}, 'zero'), (${k1}, 'one'), (${k2}, 'two'), (${k3}, 'three')`,
      ]);
      await using r = await replayer(e);
      await e.app.query(`INSERT INTO t VALUES (${k4}, 'four')`);
      await e.app.query(`UPDATE t SET v = 'one!' WHERE k = ${k1}`);
      await e.app.query(`UPDATE t SET k = ${k5} WHERE k = ${k2}`);
      await e.app.query(`DELETE FROM t WHERE k = ${k3}`);
      const applied = await catchUp(r, e);
      assert.equal(applied, 5, 'k1, k2, k3, k4 and k5 were changed');
      assert.equal(r.eventsReceived, 4);
      await assertInSync(e);
      const { shadow } = await both(e);
      assert.equal(shadow.length, 4);
    });
  }

  test('composite (INT, VARCHAR)', async () => {
    const e = await env('replay_key_composite', `CREATE TABLE t (a INT, b VARCHAR(16) COLLATE utf8mb4_general_ci, v INT, PRIMARY KEY (a, b))`, [
      `INSERT INTO t VALUES (1, 'a', 1), (1, 'b', 2), (2, 'a', 3), (2, '😀', 4)`,
    ]);
    await using r = await replayer(e);
    await e.app.query(`INSERT INTO t VALUES (3, 'ü', 5)`);
    await e.app.query(`UPDATE t SET v = 20 WHERE a = 1 AND b = 'b'`);
    await e.app.query(`UPDATE t SET b = 'z' WHERE a = 2 AND b = 'a'`);
    await e.app.query(`DELETE FROM t WHERE a = 2 AND b = '😀'`);
    assert.equal(await catchUp(r, e), 5);
    await assertInSync(e);
  });
});

test('key predicates match exactly the given keys, never a neighbour that is equal as a DOUBLE', async () => {
  const e = await env('replay_predicate', 'CREATE TABLE t (d DECIMAL(20,6) PRIMARY KEY, v INT)', [
    'INSERT INTO t VALUES (12345678901234.123456, 1), (12345678901234.123457, 2), (12345678901234.123458, 3)',
  ]);
  await e.app.query('CREATE TABLE c (d DECIMAL(20,6), u BIGINT UNSIGNED, v INT, PRIMARY KEY (d, u))');
  await e.app.query(`INSERT INTO c VALUES (12345678901234.123456, 18446744073709551615, 1),
    (12345678901234.123457, 18446744073709551614, 2), (12345678901234.123458, 18446744073709551613, 3)`);
  // Keys as zongji decodes them (exact strings), evaluated on every row (no index range to hide a loose compare).
  const single = keyColumns(e.info);
  const [byD] = await e.app.query<RowDataPacket[]>(`SELECT v FROM t IGNORE INDEX (PRIMARY) WHERE ${keyPredicate(['d'], single, [['12345678901234.123457'], ['1.000000']])}`);
  assert.deepEqual(byD.map((r) => r.v), [2]);
  const composite = keyColumns(await tableInfo(e.app, e.db, 'c'));
  const [byBoth] = await e.app.query<RowDataPacket[]>(`SELECT v FROM c IGNORE INDEX (PRIMARY) WHERE ${keyPredicate(['d', 'u'], composite, [['12345678901234.123458', '18446744073709551613'], ['1', 1]])}`);
  assert.deepEqual(byBoth.map((r) => r.v), [3]);
});

test('multi-row transactions are replayed, rolled-back ones never appear, applied follows flushes', async () => {
  const e = await env('replay_trx', 'CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)', [
    'INSERT INTO t SELECT seq, seq FROM seq_1_to_200',
  ]);
  await using r = await replayer(e, { batchSize: 7 });
  const conn = await e.app.getConnection();
  try {
    await conn.query('BEGIN');
    await conn.query('INSERT INTO t SELECT seq, 0 FROM seq_201_to_230'); // 30 new keys
    await conn.query('UPDATE t SET v = v * 10 WHERE id BETWEEN 1 AND 20'); // 20 keys
    await conn.query('DELETE FROM t WHERE id BETWEEN 21 AND 25'); // 5 keys
    await conn.query('UPDATE t SET v = -1 WHERE id BETWEEN 1 AND 5'); // same keys again
    await conn.query('COMMIT');
    await conn.query('BEGIN');
    await conn.query('INSERT INTO t SELECT seq, 0 FROM seq_1000_to_1009');
    await conn.query('UPDATE t SET v = 999 WHERE id BETWEEN 100 AND 110');
    await conn.query('ROLLBACK');
  } finally {
    conn.release();
  }
  const pos = await currentBinlogPosition(e.app);
  await r.waitFor(pos, AbortSignal.timeout(20_000));
  assert.equal(r.eventsReceived, 30 + 20 + 5 + 5, 'one row event per committed row change, none from the rollback');
  assert.equal(r.pending, 55, 'distinct keys of the committed transaction only');
  assert.ok(compareBinlogPositions(r.applied, pos) < 0, 'nothing is applied before a flush');
  assert.equal(await r.flush(), 55);
  assert.equal(r.pending, 0);
  assert.ok(compareBinlogPositions(r.applied, pos) >= 0, 'applied reaches what was received before the flush');
  await assertInSync(e);
  const [gone] = await e.app.query<RowDataPacket[]>(`SELECT COUNT(*) n FROM ${SHADOW} WHERE id >= 1000 OR v = 999`);
  assert.equal(Number(gone[0]!.n), 0);
});

test('a PK update moves the row: the old key disappears and the new one holds the row', async () => {
  const e = await env('replay_pkmove', 'CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(10))', [
    `INSERT INTO t SELECT seq, CONCAT('r', seq) FROM seq_1_to_50`,
  ]);
  await using r = await replayer(e);
  await e.app.query('UPDATE t SET id = id + 1000 WHERE id <= 10');
  await e.app.query('UPDATE t SET id = 5 WHERE id = 1005'); // and one moves back
  assert.equal(await catchUp(r, e), 20, 'ten old keys and ten new keys (key 5 is among the old ones)');
  await assertInSync(e);
  const [rows] = await e.app.query<RowDataPacket[]>(`SELECT id, v FROM ${SHADOW} WHERE id IN (5, 1001, 1) ORDER BY id`);
  assert.deepEqual(rows.map((x) => [String(x.id), x.v]), [['5', 'r5'], ['1001', 'r1']]);
});

test('race: a flush that meets an uncommitted change waits for it and ends with the committed value', async () => {
  const e = await env('replay_race', 'CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)', ['INSERT INTO t VALUES (1, 0), (2, 0)']);
  await using r = await replayer(e);
  await e.app.query('UPDATE t SET v = 1 WHERE id IN (1, 2)');
  const pos = await currentBinlogPosition(e.app);
  await r.waitFor(pos, AbortSignal.timeout(20_000));
  assert.equal(r.pending, 2);

  const writer = await e.app.getConnection();
  let committed = false;
  try {
    await writer.query('BEGIN');
    await writer.query('UPDATE t SET v = 2 WHERE id = 1'); // holds the row lock, not yet committed
    const flushing = r.flush(); // its locking read of key 1 must wait for the writer
    const commit = new Promise<void>((resolve, reject) => setTimeout(() => {
      writer.query('COMMIT').then(() => { committed = true; resolve(); }, reject);
    }, 500));
    const applied = await flushing;
    await commit;
    assert.equal(applied, 2);
    assert.ok(committed, 'the flush finished only after the writer committed');
  } finally {
    writer.release();
  }
  // Checked right after that single flush: no later event or flush has repaired anything yet.
  const [rows] = await e.app.query<RowDataPacket[]>(`SELECT id, v FROM ${SHADOW} ORDER BY id`);
  assert.deepEqual(rows.map((x) => [x.id, x.v]), [[1, 2], [2, 1]]);
  await catchUp(r, e);
  await assertInSync(e);
});

describe('DDL on the source table', () => {
  test('matcher: statements that change db.t, with and without qualifiers and quoting', () => {
    const t = { schema: 'db', name: 't' };
    const changes = [
      'ALTER TABLE t ADD COLUMN x INT', 'alter table `T` engine=InnoDB', 'ALTER TABLE db.t FORCE', 'ALTER TABLE `db`.`t` DROP x',
      'ALTER ONLINE IGNORE TABLE IF EXISTS t ADD x INT', '  /* note */ ALTER TABLE t FORCE', '/*!40000 ALTER TABLE `t` DISABLE KEYS */',
      'DROP TABLE IF EXISTS `a`,`t` /* generated by server */', 'DROP TABLE db.t', 'RENAME TABLE t TO t_old',
      'RENAME TABLE a TO b, `db`.`t` TO c', 'RENAME TABLE x TO t', 'TRUNCATE t', 'TRUNCATE TABLE `db`.`t`',
      'CREATE OR REPLACE TABLE t (id INT)', 'CREATE UNIQUE INDEX i ON t (v)', 'DROP INDEX i ON `t`',
      'ALTER TABLE t2 RENAME TO t', 'ALTER TABLE x EXCHANGE PARTITION p WITH TABLE t', 'DROP DATABASE db', 'DROP SCHEMA IF EXISTS `db`',
    ];
    for (const sql of changes) assert.ok(ddlChangingTable(sql, 'db', t), `should match: ${sql}`);
    const others = [
      'ALTER TABLE t2 ADD x INT', 'ALTER TABLE `_t_new` ADD x INT', 'ALTER TABLE other.t ADD x INT', 'ALTER TABLE `t x` FORCE',
      'ALTER TABLE tt FORCE', 'ALTER TABLE t_ FORCE', 'CREATE TABLE t2 LIKE t', 'CREATE TABLE t3 AS SELECT * FROM t',
      'DROP TEMPORARY TABLE t', 'INSERT INTO t VALUES (1)', 'BEGIN', 'COMMIT', "ALTER TABLE t2 COMMENT 'rename to t'",
      'ALTER TABLE t2 RENAME COLUMN a TO t', 'DROP DATABASE other', 'DROP TABLE `tt`, `t2`', 'RENAME TABLE a TO b',
      'CREATE INDEX i ON t2 (v)', 'TRUNCATE other.t', '-- ALTER TABLE t\nSELECT 1', 'ANALYZE TABLE t',
      // the cutover moves triggers (core/triggers): creating one changes no row or column
      'CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.v = 1', 'DROP TRIGGER tr',
    ];
    for (const sql of others) assert.equal(ddlChangingTable(sql, 'db', t), null, `should not match: ${sql}`);
    assert.equal(ddlChangingTable('ALTER TABLE t FORCE', 'other', t), null, 'unqualified names resolve to the default schema');
    assert.equal(ddlChangingTable('ALTER TABLE t FORCE', '', t), null);
  });

  test('ALTER of t2, of the shadow or of another schema\'s t is ignored; ALTER of the source fails replay', async () => {
    const e = await env('replay_ddl', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t VALUES (1, 1)']);
    await e.app.query('CREATE TABLE t2 (id INT PRIMARY KEY)');
    const other = await freshDatabase('replay_ddl_other');
    pools.push(other);
    databases.push('replay_ddl_other');
    await other.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await using r = await replayer(e);
    await e.app.query('ALTER TABLE t2 ADD COLUMN x INT');
    await e.app.query(`ALTER TABLE ${SHADOW} COMMENT 'shadow'`);
    await other.query('ALTER TABLE t ADD COLUMN x INT');
    await e.app.query('UPDATE t SET v = 2');
    assert.equal(await catchUp(r, e), 1);
    await assertInSync(e);

    await e.app.query('UPDATE t SET v = 3');
    await e.app.query('ALTER TABLE t ADD COLUMN w INT');
    const pos = await currentBinlogPosition(e.app);
    await assert.rejects(r.waitFor(pos, AbortSignal.timeout(20_000)), SourceTableChangedError);
    await assert.rejects(r.flush(), (err: unknown) => err instanceof SourceTableChangedError && !/\n/.test(err.message) && /ALTER TABLE/.test(err.message));
  });

  test('TRUNCATE of the source (no row events) fails replay', async () => {
    const e = await env('replay_truncate', 'CREATE TABLE t (id INT PRIMARY KEY)', ['INSERT INTO t VALUES (1), (2)']);
    await using r = await replayer(e);
    await e.app.query(`TRUNCATE TABLE ${mysql.escapeId(e.db)}.t`);
    const pos = await currentBinlogPosition(e.app);
    await assert.rejects(r.waitFor(pos, AbortSignal.timeout(20_000)), SourceTableChangedError);
    assert.equal(r.eventsReceived, 0);
  });
});

test('started from a saved position, replay applies only the later changes', async () => {
  const e = await env('replay_resume', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t VALUES (1, 1)']);
  await e.app.query('INSERT INTO t VALUES (10, 10)'); // before the saved position
  await e.app.query('UPDATE t SET v = 100 WHERE id = 1');
  const saved = await currentBinlogPosition(e.app);
  await e.app.query('INSERT INTO t VALUES (20, 20)'); // after it
  await e.app.query('DELETE FROM t WHERE id = 1');
  await using r = await replayer(e, { start: saved });
  assert.equal(await catchUp(r, e), 2);
  const [rows] = await e.app.query<RowDataPacket[]>(`SELECT id, v FROM ${SHADOW} ORDER BY id`);
  assert.deepEqual(rows.map((x) => [x.id, x.v]), [[20, 20]], 'key 10 (before the position) was not replayed');
});

test('skipKey: keys the copier has not reached are not kept', async () => {
  const e = await env('replay_skip', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t SELECT seq, 0 FROM seq_1_to_100']);
  await using r = await replayer(e, { skipKey: (key) => Number(key[0]) > 50 });
  await e.app.query('UPDATE t SET v = 1');
  const pos = await currentBinlogPosition(e.app);
  await r.waitFor(pos, AbortSignal.timeout(20_000));
  assert.equal(r.eventsReceived, 100);
  assert.equal(r.pending, 50);
  assert.equal(await r.flush(), 50);
  const [rows] = await e.app.query<RowDataPacket[]>(`SELECT MIN(id) lo, MAX(id) hi, COUNT(*) n FROM ${SHADOW} WHERE v = 1`);
  assert.deepEqual([rows[0]!.lo, rows[0]!.hi, Number(rows[0]!.n)], [1, 50, 50]);
});

test('stop() leaves no Binlog Dump connection; waitFor after stop rejects; stop is idempotent', async () => {
  const e = await env('replay_stop', 'CREATE TABLE t (id INT PRIMARY KEY)');
  const before = await dumpThreads(e.app);
  const r = await replayer(e);
  assert.equal(await dumpThreads(e.app), before + 1);
  await Promise.all([r.stop(), r.stop()]);
  assert.equal(await dumpThreads(e.app), before);
  await e.app.query('INSERT INTO t VALUES (1)');
  await assert.rejects(r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(5_000)), ReplayStoppedError);
  await r[Symbol.asyncDispose]();
  assert.equal(before, 0, 'no other replayer of this file is left running');
});

test('waitFor rejects promptly with MigrationCancelledError when its signal aborts', async () => {
  const e = await env('replay_abort', 'CREATE TABLE t (id INT PRIMARY KEY)');
  await using r = await replayer(e);
  const far = { file: r.received.file, position: r.received.position + 10_000_000 };
  const ac = new AbortController();
  const waiting = r.waitFor(far, ac.signal);
  setTimeout(() => ac.abort(new Error('test over')), 50);
  await assert.rejects(waiting, MigrationCancelledError);
});

async function dumpThread(app: Pool, not?: number): Promise<number | undefined> {
  const [rows] = await app.query<RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump' AND ID <> ?", [not ?? 0]);
  return rows[0] ? Number(rows[0].ID) : undefined;
}

test('a killed binlog connection is reconnected from the last transaction boundary: no change before, during or after the kill is lost', async () => {
  const e = await env('replay_killed', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t SELECT seq, 0 FROM seq_1_to_50']);
  const warnings: string[] = [];
  await using r = await replayer(e, { log: { debug() {}, info() {}, warn: (m) => warnings.push(m) } });
  await e.app.query('UPDATE t SET v = 1 WHERE id <= 10');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(10_000));
  const first = r.streamThreadId;
  assert.ok(first, 'the replayer has a dump thread');
  await e.app.query('KILL CONNECTION ?', [first]);
  // changes while the stream is down and after it is back
  await e.app.query('DELETE FROM t WHERE id BETWEEN 11 AND 15');
  await e.app.query('INSERT INTO t VALUES (51, 51), (52, 52)');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
  await e.app.query('UPDATE t SET v = 2 WHERE id > 40');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
  await r.flush();
  assert.equal(r.reconnects, 1, 'the stream was opened once more');
  assert.notEqual(r.streamThreadId, first, 'on a new connection');
  assert.ok(warnings.some((w) => /binlog stream .* was lost/.test(w)), `a warning says so: ${warnings.join(' | ')}`);
  assert.ok(warnings.every((w) => !w.includes(testConnection().password!)), 'no warning carries the password');
  const { source, shadow } = await both(e);
  assert.deepEqual(shadow, source);
});

test('an idle stream stays up on the server\'s heartbeats', async () => {
  const e = await env('replay_heartbeat', 'CREATE TABLE t (id INT PRIMARY KEY)');
  await using r = await replayer(e, { stream: { heartbeatMs: 300, deadAfterMs: 1_500 } });
  await new Promise((res) => setTimeout(res, 4_000)); // no event for the table: only heartbeats
  assert.equal(r.reconnects, 0, 'heartbeats kept the stream alive');
});

test('a binlog connection that goes silent (no heartbeat) is noticed and reconnected', async () => {
  const e = await env('replay_silent', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t SELECT seq, 0 FROM seq_1_to_5']);
  // a heartbeat period longer than the dead-peer bound: an idle stream looks dead
  await using r = await replayer(e, { stream: { heartbeatMs: 60_000, deadAfterMs: 1_500 } });
  const deadline = Date.now() + 20_000;
  while (r.reconnects === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  assert.ok(r.reconnects >= 1, 'the silent stream was replaced');
  await e.app.query('UPDATE t SET v = 9');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(10_000));
  await r.flush();
  const { source, shadow } = await both(e);
  assert.deepEqual(shadow, source);
});

test('a stream that cannot be opened again (the user is gone) fails replay with BinlogStreamError (no password)', async () => {
  const e = await env('replay_noreconnect', 'CREATE TABLE t (id INT PRIMARY KEY)');
  const user = 'replay_nr';
  const password = 'replay-nr-secret';
  await e.app.query('DROP USER IF EXISTS ?@\'%\'', [user]);
  await e.app.query('CREATE USER ?@\'%\' IDENTIFIED BY ?', [user, password]);
  await e.app.query('GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT, PROCESS ON *.* TO ?@\'%\'', [user]);
  try {
    await using r = await replayer(e, { connection: { ...testConnection(), user, password } });
    await e.app.query('DROP USER ?@\'%\'', [user]);
    await e.app.query('KILL CONNECTION ?', [r.streamThreadId!]);
    const deadline = Date.now() + 20_000;
    let error: unknown;
    while (Date.now() < deadline && !error) {
      error = await r.flush().then(() => undefined, (err: unknown) => err);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(error instanceof BinlogStreamError, `got ${String(error)}`);
    assert.ok(!error.message.includes(password), 'the message carries no password');
    assert.ok(!/\n/.test(error.message));
    await assert.rejects(r.waitFor({ file: 'binlog.999999', position: 4 }, AbortSignal.timeout(5_000)), BinlogStreamError);
  } finally {
    await e.app.query('DROP USER IF EXISTS ?@\'%\'', [user]);
  }
});

test('under the cutover lock: flush runs in autocommit, keeps the table locks, and takes over a blocked pool flush', async () => {
  const e = await env('replay_lock', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t SELECT seq, 0 FROM seq_1_to_20']);
  await e.app.query('CREATE TABLE _t_old (id INT)'); // the cutover's sentry
  await using r = await replayer(e);
  await e.app.query('UPDATE t SET v = 1 WHERE id <= 10');
  await e.app.query('DELETE FROM t WHERE id = 20');
  await e.app.query('INSERT INTO t VALUES (21, 21)');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
  assert.equal(r.pending, 12);

  const lockConn = await openConnection(testConnection(e.db));
  try {
    await lockConn.query(`LOCK TABLES t WRITE, ${SHADOW} WRITE, _t_old WRITE`);
    // A periodic pool flush that started just now is stuck behind the lock…
    const blocked = r.flush();
    await new Promise((res) => setTimeout(res, 200));
    // …the cutover's flush does not wait for it and applies its keys too.
    assert.equal(await r.flush(lockConn, { underLock: true }), 12);
    assert.equal(r.pending, 0);
    const [rows] = await lockConn.query<RowDataPacket[]>(`SELECT COUNT(*) n FROM ${SHADOW} WHERE v = 1 OR id = 21`);
    assert.equal(Number(rows[0]!.n), 11);
    // The locks are still held: this session may not touch other tables, others may not read t.
    await assert.rejects(lockConn.query('SELECT 1 FROM t2_not_locked'), (err: { errno?: number }) => err.errno === 1100);
    const probe = await e.app.getConnection();
    try {
      await probe.query('SET SESSION lock_wait_timeout = 1');
      await assert.rejects(probe.query('SELECT * FROM t'), (err: { errno?: number }) => err.errno === 1205);
    } finally {
      probe.release();
    }
    await lockConn.query('UNLOCK TABLES');
    await blocked;
  } finally {
    await lockConn.end();
  }
  await assertInSync(e);
});

test('flush({ underLock: true }) without a connection is refused', async () => {
  const e = await env('replay_lock_usage', 'CREATE TABLE t (id INT PRIMARY KEY)');
  await using r = await replayer(e);
  await assert.rejects(r.flush(undefined, { underLock: true }), /needs the connection that holds LOCK TABLES/);
});

test('after FLUSH BINARY LOGS, waitFor reaches the new file\'s position with no further writes, and replay goes on', async () => {
  const e = await env('replay_rotate', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t VALUES (1, 1)']);
  await using r = await replayer(e);
  await e.app.query('UPDATE t SET v = 2');
  const before = await currentBinlogPosition(e.app);
  await e.app.query('FLUSH BINARY LOGS');
  const rotated = await currentBinlogPosition(e.app);
  assert.notEqual(rotated.file, before.file);
  await r.waitFor(rotated, AbortSignal.timeout(10_000)); // what the cutover does under its lock
  assert.equal(r.received.file, rotated.file);
  await e.app.query('INSERT INTO t VALUES (2, 2)');
  assert.equal(await catchUp(r, e), 2);
  assert.deepEqual(r.applied.file, rotated.file);
  await assertInSync(e);
});

test('a start position in a purged or unknown binlog file rejects start() and leaves no connection', async () => {
  const e = await env('replay_badstart', 'CREATE TABLE t (id INT PRIMARY KEY)');
  const before = await dumpThreads(e.app);
  await assert.rejects(
    replayer(e, { start: { file: 'binlog.999999', position: 4 } }),
    (err: unknown) => err instanceof BinlogStreamError && !err.message.includes(testConnection().password!),
  );
  assert.equal(await dumpThreads(e.app), before);
});
