/**
 * The checksum plugin's comparisons across type changes and under a live write load, each a real
 * migration: no false mismatch (exactly one pass), yet a one-value change of any type is caught.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, type MigrationResult, type SluicePlugin } from '../../mod.ts';
import { checksumPlugin } from '../../plugins/checksum/index.ts';
import { appPool, fileDatabases, testConnection } from '../support/db.ts';

const { database, own } = fileDatabases();

interface Outcome {
  logs: Array<{ level: string; message: string; at: number }>;
  phases: Array<{ phase: string; state: string; at: number }>;
  result?: MigrationResult;
  error?: unknown;
}

async function migrate(db: string, statement: string, plugins: SluicePlugin[], extra: Record<string, unknown> = {}): Promise<Outcome> {
  const out: Outcome = { logs: [], phases: [] };
  const m = await createMigration({ connection: testConnection(db), statement, plugins, tryNative: false, ...extra });
  m.on((e) => {
    if (e.type === 'log') out.logs.push({ level: e.level, message: e.message, at: Date.now() });
    if (e.type === 'phase') out.phases.push({ phase: e.phase, state: e.state, at: e.at });
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
const mismatchWarnings = (o: Outcome) => o.logs.filter((l) => /mismatched chunk/.test(l.message));

const MATRIX_TABLE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  i INT NULL,
  v VARCHAR(10) NOT NULL,
  u8 VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
  l1 VARCHAR(20) CHARACTER SET latin1 NULL,
  dt DATETIME(3) NULL,
  ts TIMESTAMP(3) NULL DEFAULT NULL,
  f FLOAT NULL,
  d DECIMAL(10,2) NULL,
  e ENUM('a','b','c') NULL,
  s VARCHAR(5) NULL,
  b VARBINARY(8) NULL,
  tx TEXT NULL,
  dropme INT NULL
)`;

// Every type change of the matrix, a dropped and an added column, and a UNIQUE index over unique values.
const MATRIX_ALTER = `ALTER TABLE t
  MODIFY id BIGINT NOT NULL,
  MODIFY i BIGINT NULL,
  MODIFY v VARCHAR(40) NOT NULL,
  MODIFY u8 VARCHAR(20) CHARACTER SET latin1 NULL,
  MODIFY l1 VARCHAR(30) CHARACTER SET utf8mb4 NULL,
  MODIFY dt TIMESTAMP(3) NULL DEFAULT NULL,
  MODIFY ts DATETIME(3) NULL,
  MODIFY f DOUBLE NULL,
  MODIFY d DECIMAL(12,4) NULL,
  MODIFY e ENUM('a','b','c','d') NULL,
  DROP COLUMN dropme,
  ADD COLUMN added INT NOT NULL DEFAULT 5,
  ADD UNIQUE INDEX uq_v (v)`;

async function seedMatrix(pool: Pool): Promise<void> {
  await pool.query(MATRIX_TABLE);
  await pool.query(`INSERT INTO t SELECT
      seq,
      IF(seq % 7 = 0, NULL, seq * 7919 % 2000000000 - 1000000000),
      CONCAT('v', seq),
      ELT(seq % 4 + 1, 'café', 'naïve', 'Zoë', NULL),
      ELT(seq % 3 + 1, 'façade', 'ÅÄÖ', ''),
      IF(seq % 13 = 0, NULL, TIMESTAMP('2001-02-03 04:05:06.789') + INTERVAL seq * 61 MINUTE),
      IF(seq % 17 = 0, NULL, TIMESTAMP('2030-12-31 23:59:59.001') - INTERVAL seq * 3 HOUR),
      IF(seq % 11 = 0, NULL, seq / 7 * POW(10, seq % 9 - 4)),
      IF(seq % 19 = 0, NULL, seq / 3 - 400),
      ELT(seq % 3 + 1, 'a', 'b', 'c'),
      CASE seq % 3 WHEN 0 THEN '' WHEN 1 THEN NULL ELSE 'x' END,
      IF(seq % 23 = 0, NULL, UNHEX(CONCAT('00', LPAD(HEX(seq), 4, '0'), '00'))),
      REPEAT('t', seq % 50),
      seq
    FROM (SELECT CAST(seq AS SIGNED) AS seq FROM seq_1_to_3000) AS s`);
}

test('type changes cause no false mismatch: INT→BIGINT, VARCHAR widening, charsets, DATETIME↔TIMESTAMP, FLOAT→DOUBLE, DECIMAL scale, ENUM', async () => {
  const db = 'checksum_types';
  const pool = await database(db);
  await seedMatrix(pool);
  const out = await migrate(db, MATRIX_ALTER, [checksumPlugin({ rowsPerChunk: 250 })]);
  assert.equal(out.error, undefined, String(out.error));
  assert.deepEqual(mismatchWarnings(out), []);
  assert.equal(passes(out), 1);
  assert.ok(out.logs.some((l) => / match: 3000 rows in \d+ chunk\(s\) verified in 1 pass/.test(l.message)), out.logs.map((l) => l.message).join('\n'));
  const [[{ n }]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM t WHERE added = 5');
  assert.equal(Number(n), 3000);
});

test('a single changed value of any type, or NULL for an empty string, is caught and repaired', async () => {
  const db = 'checksum_types_sensitive';
  const pool = await database(db);
  await seedMatrix(pool);
  // One change per type, each in its own 10-row chunk: every one must make its chunk differ.
  const changes = [
    'UPDATE _t_new SET i = i + 1 WHERE id = 10',
    "UPDATE _t_new SET u8 = 'cafe' WHERE id = 20",
    "UPDATE _t_new SET l1 = 'facade' WHERE id = 30",
    'UPDATE _t_new SET dt = dt + INTERVAL 1000 MICROSECOND WHERE id = 40',
    'UPDATE _t_new SET ts = ts - INTERVAL 1000 MICROSECOND WHERE id = 50',
    'UPDATE _t_new SET f = f * (1 + 1e-12) WHERE id = 60',
    'UPDATE _t_new SET d = d + 0.0001 WHERE id = 70',
    "UPDATE _t_new SET e = 'd' WHERE id = 80",
    'UPDATE _t_new SET s = NULL WHERE id = 93',
    "UPDATE _t_new SET b = CONCAT(b, X'00') WHERE id = 110",
    "UPDATE _t_new SET tx = CONCAT(tx, 'x') WHERE id = 120",
    "UPDATE _t_new SET l1 = CONCAT(l1, ' ') WHERE id = 130",
    // s = '' and b = NULL become s = NULL and b = '': the same CONCAT_WS string, told apart by the NULL flags.
    "UPDATE _t_new SET s = NULL, b = '' WHERE id = 138 AND s = '' AND b IS NULL",
  ];
  const changed: number[] = [];
  const corrupt = definePlugin({
    name: 'corrupt-values',
    async afterCopy() {
      for (const sql of changes) changed.push((await pool.query<ResultSetHeader>(sql))[0].changedRows);
    },
  });
  const read = async () => {
    const conn = await pool.getConnection();
    try {
      await conn.query("SET SESSION time_zone = '+00:00'");
      const [r] = await conn.query<RowDataPacket[]>('SELECT id, i, v, u8, l1, dt, ts, d + 0 AS d, e, s, HEX(b) AS b, tx FROM t ORDER BY id');
      return r.map((x) => ({ ...x, id: String(x.id), i: x.i === null ? null : String(x.i), d: x.d === null ? null : Number(x.d) }));
    } finally {
      conn.release();
    }
  };
  const expected = await read();
  const out = await migrate(db, MATRIX_ALTER, [checksumPlugin({ rowsPerChunk: 10, threads: 3 }), corrupt]);
  assert.equal(out.error, undefined, String(out.error));
  assert.deepEqual(changed, changes.map(() => 1), 'every change took effect');
  const warnings = mismatchWarnings(out);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, new RegExp(`^checksum: pass 1 found ${changes.length} mismatched chunk\\(s\\)`));
  assert.equal(passes(out), 2);
  assert.equal(expected.length, 3000);
  assert.deepEqual(await read(), expected, 'the final table holds the source values again');
});

test('under a live write load the checksum finds no false mismatch, also across snapshot retakes', async () => {
  const db = 'checksum_live';
  const pool = await database(db);
  await pool.query(`CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40) NOT NULL,
    n INT NOT NULL, at DATETIME(6) NOT NULL)`);
  await pool.query("INSERT INTO t (v, n, at) SELECT CONCAT('row ', seq), seq, NOW(6) FROM seq_1_to_20000");
  const writer = own(appPool(db, 2));
  let stop = false;
  const ops: Array<{ at: number; kind: string }> = [];
  const errors: unknown[] = [];
  const rand = (m: number) => Math.floor(Math.random() * m);
  const loop = async () => {
    while (!stop) {
      const id = 1 + rand(24000);
      const kind = ['insert', 'update', 'update', 'delete'][rand(4)]!;
      try {
        if (kind === 'insert') await writer.query("INSERT INTO t (v, n, at) VALUES (CONCAT('new ', ?), ?, NOW(6))", [id, id]);
        else if (kind === 'update') await writer.query("UPDATE t SET n = n + 1, v = CONCAT('upd ', ?), at = NOW(6) WHERE id = ?", [rand(1000), id]);
        else await writer.query('DELETE FROM t WHERE id = ?', [id]);
        ops.push({ at: Date.now(), kind });
      } catch (err) {
        errors.push(err);
      }
    }
  };
  const writers = [loop(), loop()];
  let out: Outcome;
  try {
    await new Promise((r) => setTimeout(r, 200));
    out = await migrate(db, 'ALTER TABLE t MODIFY v VARCHAR(80) NOT NULL, ADD COLUMN extra INT NULL',
      [checksumPlugin({ rowsPerChunk: 2500, threads: 2, snapshotMaxAge: 1 })]);
  } finally {
    stop = true;
    await Promise.all(writers);
  }
  assert.equal(out.error, undefined, String(out.error));
  assert.deepEqual(errors, []);
  assert.deepEqual(mismatchWarnings(out), []);
  assert.equal(passes(out), 1);
  const retakes = out.logs.filter((l) => /^checksum: snapshots are \d+ ms old .*retaking them$/.test(l.message)).length;
  assert.ok(retakes >= 3, `snapshots retaken ${retakes} time(s)`);
  const verifyStart = out.phases.find((p) => p.phase === 'verify' && p.state === 'start')!.at;
  const verifyEnd = out.phases.find((p) => p.phase === 'verify' && p.state === 'end')!.at;
  const during = ops.filter((o) => o.at > verifyStart && o.at < verifyEnd);
  assert.ok(new Set(during.map((o) => o.kind)).size === 3, `inserts, updates and deletes ran during the checksum (${during.length} ops)`);
});
