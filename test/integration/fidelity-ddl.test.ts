/**
 * Data fidelity across the shapes of ALTER, under a concurrent workload during copy and replay:
 * ADD/DROP column (with defaults, FIRST/AFTER), ADD/DROP index, ADD UNIQUE index, reordering
 * columns (MODIFY … FIRST / AFTER) with a rename; and the native path: with `tryNative` an
 * INSTANT-able change is done by the server (no copy), a change it cannot do in place is copied.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { createMigration } from '../../mod.ts';
import { compareTables, describeComparison, isIdentical } from '../support/compare.ts';
import { testConnection } from '../support/db.ts';
import { checkOutcome, dropDatabase, prepareSource, runFidelityCase, snapshotExpected } from '../support/fidelity-harness.ts';
import { intIn, oneOf, orNull, type CustomOp, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const word = (rng: Rng) => Array.from({ length: Number(intIn(0, 12)(rng)) }, () => oneOf(...'abcdéß😀 ')(rng)).join('');
const columns: Record<string, ValueGen> = {
  a: orNull(intIn(-100_000, 100_000)),
  b: orNull(word),
  c: orNull((rng) => `2024-0${Number(intIn(1, 9)(rng))}-1${Number(intIn(0, 9)(rng))} 10:00:00.${String(Number(intIn(0, 999_999)(rng))).padStart(6, '0')}`),
  d: orNull((rng) => (rng() * 1e6 - 5e5).toFixed(2)),
  e: orNull(word),
};
const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY, a INT, b VARCHAR(30) CHARACTER SET utf8mb4, c DATETIME(6), d DECIMAL(10,2), e TEXT CHARACTER SET utf8mb4,
  INDEX by_b (b), INDEX by_a_c (a, c)
)`;
const target = { key: ['id'], newKey: (rng: Rng) => [Number(intIn(1, 200_000)(rng))], columns };

const cases: Array<{ name: string; alter: string; checksum?: boolean }> = [
  {
    name: 'ADD COLUMN (NOT NULL with default, FIRST, AFTER) and DROP COLUMN',
    alter: `ADD COLUMN z INT NOT NULL DEFAULT 42 FIRST, ADD COLUMN y VARCHAR(5) DEFAULT 'y' AFTER b, ADD COLUMN x DATETIME(6) NULL, DROP COLUMN e`,
  },
  {
    // With the default checksum plugin on, as a user runs it: it must find nothing to repair.
    name: 'ADD INDEX and DROP INDEX (checksum plugin on)',
    alter: 'DROP INDEX by_b, ADD INDEX by_d (d), ADD INDEX by_e (e(10)), DROP INDEX by_a_c, ADD INDEX by_c_a (c, a)',
    checksum: true,
  },
  {
    name: 'reordering columns (MODIFY … FIRST / AFTER) and a rename',
    alter: 'MODIFY c DATETIME(6) FIRST, MODIFY a INT AFTER e, CHANGE d amount DECIMAL(12,2)',
  },
];

for (const [i, c] of cases.entries()) {
  test(`${c.name} under writes`, async () => {
    const database = `fidelity_ddl_${i}`;
    databases.push(database);
    const outcome = await runFidelityCase({ database, create: CREATE, target, rows: 5000, seed: 71 + i, alter: c.alter, checksum: c.checksum });
    checkOutcome(outcome);
    if (c.checksum) assert.ok(outcome.log.some((l) => /checksum: .* match/.test(l)), `the checksum did not run:\n${outcome.log.join('\n')}`);
  });
}

test('ADD UNIQUE INDEX while the workload swaps unique values between rows in transactions', async () => {
  const database = 'fidelity_ddl_unique';
  databases.push(database);
  // u is unique in the source (UNIQUE by_u stays), the ALTER adds UNIQUE (u, a). The workload also
  // swaps the u of two rows in one transaction: in the shadow, a row's new value can arrive while
  // the other row still holds it.
  const swap: CustomOp = async (conn, _rng, pickKey) => {
    const k1 = pickKey();
    const k2 = pickKey();
    if (!k1 || !k2 || k1[0] === k2[0]) return;
    await conn.query('START TRANSACTION');
    const [rows] = await conn.query<RowDataPacket[]>('SELECT id, u FROM t WHERE id IN (?, ?) FOR UPDATE', [k1[0], k2[0]]);
    if (rows.length === 2) {
      const [r1, r2] = rows as [RowDataPacket, RowDataPacket];
      await conn.query('UPDATE t SET u = NULL WHERE id = ?', [r1.id]);
      await conn.query('UPDATE t SET u = ? WHERE id = ?', [r1.u, r2.id]);
      await conn.query('UPDATE t SET u = ? WHERE id = ?', [r2.u, r1.id]);
    }
    await conn.query('COMMIT');
  };
  const outcome = await runFidelityCase({
    database, rows: 5000, seed: 75,
    create: `CREATE TABLE t (id INT NOT NULL PRIMARY KEY, u INT, a INT, UNIQUE KEY by_u (u))`,
    alter: 'ADD UNIQUE INDEX by_u_a (u, a), ADD COLUMN note CHAR(1) DEFAULT \'n\'',
    target: { key: ['id'], newKey: (rng) => [Number(intIn(1, 200_000)(rng))], columns: { u: orNull(intIn(1, 30_000)), a: intIn(0, 3) } },
    workload: { custom: swap, mix: { custom: 30 } },
  });
  checkOutcome(outcome);
  assert.ok(outcome.stats.custom > 0, 'no swap ran');
});

test('native path: with tryNative an INSTANT-able ADD COLUMN is done in place, with the data intact', async () => {
  const database = 'fidelity_ddl_native';
  databases.push(database);
  const pool = await prepareSource({ database, create: CREATE, target, rows: 3000, seed: 76 });
  try {
    const alter = 'ADD COLUMN n INT NOT NULL DEFAULT 5';
    await snapshotExpected(database, alter);
    const [[before]] = await pool.query<RowDataPacket[]>(`SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = CONCAT(?, '/t')`, [database]);
    await using migration = await createMigration({ connection: testConnection(database), statement: `ALTER TABLE t ${alter}`, tryNative: true });
    const result = await migration.run();
    assert.equal(result.mode, 'native');
    assert.equal(result.rowsCopied, 0);
    const [[after]] = await pool.query<RowDataPacket[]>(`SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = CONCAT(?, '/t')`, [database]);
    assert.equal(after!.TABLE_ID, before!.TABLE_ID, 'the table was rebuilt, not altered in place');
    const [left] = await pool.query<RowDataPacket[]>(`SHOW TABLES LIKE '\\_t\\_%'`);
    assert.equal(left.length, 0, 'no shadow or old table is left');
    const comparison = await compareTables(pool, database, 't', 'expected_t');
    assert.ok(isIdentical(comparison), describeComparison(comparison));
  } finally {
    await pool.end();
  }
});

test('native path: with tryNative a change the server cannot do in place (INT → BIGINT) is copied', async () => {
  const database = 'fidelity_ddl_not_native';
  databases.push(database);
  const pool = await prepareSource({ database, create: CREATE, target, rows: 3000, seed: 77 });
  try {
    const alter = 'MODIFY a BIGINT';
    await snapshotExpected(database, alter);
    await using migration = await createMigration({ connection: testConnection(database), statement: `ALTER TABLE t ${alter}`, tryNative: true });
    const result = await migration.run();
    assert.equal(result.mode, 'copy');
    assert.ok(result.rowsCopied > 0);
    const comparison = await compareTables(pool, database, 't', 'expected_t');
    assert.ok(isIdentical(comparison), describeComparison(comparison));
  } finally {
    await pool.end();
  }
});
