/**
 * The fidelity tests are only as good as their comparison: this proves test/support/compare.ts
 * sees every kind of difference a faulty migration could leave (one changed byte, case under a
 * case-insensitive collation, the sign of a zero, a microsecond, NULL versus '', a missing or an
 * extra row, a definition change) and reports identical copies as identical.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'mysql2/promise';
import { compareTables, describeComparison, isIdentical } from '../support/compare.ts';
import { freshDatabase } from '../support/db.ts';
import { dropDatabase } from '../support/fidelity-harness.ts';

const DB = 'fidelity_compare';
let pool: Pool;

before(async () => {
  pool = await freshDatabase(DB);
  await pool.query(`CREATE TABLE a (
    id INT NOT NULL, k VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
    f FLOAT, d DOUBLE, dec1 DECIMAL(65,30), dt DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL,
    v VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci, lat VARCHAR(10) CHARACTER SET latin1,
    vb VARBINARY(10), b BIT(64), e ENUM('x','y'), j JSON, g GEOMETRY,
    gen INT AS (id * 2) VIRTUAL,
    PRIMARY KEY (id, k)
  ) DEFAULT CHARSET=utf8mb4`);
  await pool.query(`INSERT INTO a (id, k, f, d, dec1, dt, ts, v, lat, vb, b, e, j, g) VALUES
    (1, 'a', -1e-46, 5e-324, '0.000000000000000000000000000001', '2024-01-01 00:00:00.000001', '2024-01-01 00:00:00.000001',
     'abc', 'caf\u00e9', X'00FF', b'1', 'x', '{"a": 1}', ST_GeomFromText('POINT(1 2)')),
    (2, 'b', 0.5, 1e308, '1', '9999-12-31 23:59:59.999999', NULL, '', NULL, X'', b'0', 'y', '[]', NULL),
    (3, 'c', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
});

after(async () => {
  await pool.end();
  await dropDatabase(DB);
});

/** b := a, then `mutate` applied to b; returns the comparison of b (actual) with a (expected). */
async function compareAfter(mutate: string[]) {
  await pool.query('DROP TABLE IF EXISTS b');
  await pool.query('CREATE TABLE b LIKE a');
  await pool.query('INSERT INTO b (id, k, f, d, dec1, dt, ts, v, lat, vb, b, e, j, g) SELECT id, k, f, d, dec1, dt, ts, v, lat, vb, b, e, j, g FROM a');
  for (const sql of mutate) await pool.query(sql);
  return compareTables(pool, DB, 'b', 'a');
}

test('an exact copy compares identical', async () => {
  const c = await compareAfter([]);
  assert.ok(isIdentical(c), describeComparison(c));
  assert.equal(c.expectedRows, 3);
});

const differences: Array<[string, string[], string]> = [
  ['the sign of a FLOAT zero', ['UPDATE b SET f = 0 WHERE id = 1'], 'f'],
  ['a DOUBLE denormal', ['UPDATE b SET d = 1e-323 WHERE id = 1'], 'd'],
  ['the last DECIMAL digit', [`UPDATE b SET dec1 = '0.000000000000000000000000000002' WHERE id = 1`], 'dec1'],
  ['one microsecond of a DATETIME(6)', [`UPDATE b SET dt = '2024-01-01 00:00:00.000002' WHERE id = 1`], 'dt'],
  ['a TIMESTAMP(6) microsecond', [`UPDATE b SET ts = '2024-01-01 00:00:00.000002' WHERE id = 1`], 'ts'],
  ['case under a case-insensitive collation', [`UPDATE b SET v = 'ABC' WHERE id = 1`], 'v'],
  ['NULL versus the empty string', [`UPDATE b SET v = NULL WHERE id = 2`], 'v'],
  ['a latin1 byte', [`UPDATE b SET lat = 'cafe' WHERE id = 1`], 'lat'],
  ['a trailing NUL byte', [`UPDATE b SET vb = X'00FF00' WHERE id = 1`], 'vb'],
  ['a BIT value', [`UPDATE b SET b = b'10' WHERE id = 1`], 'b'],
  ['an ENUM value', [`UPDATE b SET e = 'y' WHERE id = 1`], 'e'],
  ['JSON whitespace', [`UPDATE b SET j = '{"a":1}' WHERE id = 1`], 'j'],
  ['a geometry', [`UPDATE b SET g = ST_GeomFromText('POINT(1 3)') WHERE id = 1`], 'g'],
  ['the case of a key column', [`UPDATE b SET k = 'A' WHERE id = 1`], 'key'],
];

for (const [name, mutate, column] of differences) {
  test(`it sees ${name}`, async () => {
    const c = await compareAfter(mutate);
    assert.ok(!isIdentical(c), `not seen: ${name}`);
    assert.ok(c.serverSide.actualOnly > 0 && c.serverSide.expectedOnly > 0, `server-side check missed ${name}: ${describeComparison(c)}`);
    if (column === 'key') {
      assert.equal(c.missing.length, 1);
      assert.equal(c.extra.length, 1);
    } else {
      assert.deepEqual([...new Set(c.changed.map((d) => d.column.split(' ')[0]))], [column], describeComparison(c));
    }
  });
}

test('it sees a missing row, an extra row, and a definition change', async () => {
  const missing = await compareAfter(['DELETE FROM b WHERE id = 3']);
  assert.equal(missing.missing.length, 1);
  assert.equal(missing.serverSide.expectedOnly, 1);
  const extra = await compareAfter([`INSERT INTO b (id, k) VALUES (4, 'd')`]);
  assert.equal(extra.extra.length, 1);
  assert.equal(extra.serverSide.actualOnly, 1);
  const index = await compareAfter(['ALTER TABLE b ADD INDEX by_v (v)']);
  assert.ok(index.definition.length > 0 && !isIdentical(index));
  const column = await compareAfter(['ALTER TABLE b MODIFY lat VARCHAR(11) CHARACTER SET latin1']);
  assert.ok(column.definition.length > 0 && !isIdentical(column));
});
