/**
 * Issue 9, "Keys": the shapes of test/support/key-shapes.ts migrated in process under the fidelity
 * workload (inserts, updates including the chosen key's columns, key moves, deletes) and compared
 * with the server's own ALTER of the same rows; the key Sluice reports must be the expected one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { definePlugin, Tokens, type TableKey } from '../../mod.ts';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { KEY_SHAPES } from '../support/key-shapes.ts';
import { freshDatabase } from '../support/db.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import { chooseKey } from '../../core/preflight/key-choice.ts';
import { boundaryQuery, keyWalk } from '../../core/copier/keyset-chunker.ts';
import { keyRange } from '../../core/copier/key-range.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

for (const shape of KEY_SHAPES) {
  test(`${shape.name}: ${shape.alter} — by key (${shape.expectedKey.columns.join(', ')}), identical to the server's ALTER`, async () => {
    const database = `fidelity_key_${shape.name}`;
    databases.push(database);
    let chosen: TableKey | undefined;
    const outcome = await runFidelityCase({
      ...shape, database,
      plugins: [definePlugin({ name: 'key-probe', beforeCopy(ctx) { chosen = ctx.resolve(Tokens.Source).key; } })],
    });
    checkOutcome(outcome);
    assert.deepEqual(chosen, shape.expectedKey);
  });
}

test('ENUM and DECIMAL bounds: range scans on the key, compared as member indexes and as DECIMAL (never as strings or DOUBLE)', async () => {
  const database = 'fidelity_key_bounds';
  databases.push(database);
  const pool = await freshDatabase(database);
  try {
    await pool.query(`CREATE TABLE e (e ENUM('zeta', 'alpha', 'mid', 'beta', 'omega') NOT NULL, n INT NOT NULL, PRIMARY KEY (e, n))`);
    await pool.query('INSERT INTO e SELECT ELT(1 + seq % 5, \'zeta\', \'alpha\', \'mid\', \'beta\', \'omega\'), seq FROM seq_1_to_5000');
    await pool.query('CREATE TABLE d (d DECIMAL(20,6) NOT NULL PRIMARY KEY)');
    await pool.query('INSERT INTO d SELECT 12000000000000 + seq / 1000000 FROM seq_0_to_5000');
    await pool.query('ANALYZE TABLE e, d');

    const et = await inspectTable(pool, database, 'e');
    const enumTable = { ...et, key: chooseKey(et, et) };
    const walk = keyWalk(enumTable);
    const explain = async (sql: string, values: unknown[]) => ((await pool.query(`EXPLAIN ${sql}`, values))[0] as Array<{ type: string }>)[0]!.type;
    // A bound as the copier reads it: the member's index.
    const [lowerRow] = (await pool.query({ sql: boundaryQuery(enumTable, walk, null, 1500).sql, values: [1499], rowsAsArray: true }))[0] as unknown[][];
    assert.equal(typeof lowerRow![0], 'number', 'an ENUM bound is read as its member index');
    const lower = [2, 1000];
    const upper = [4, 3000];
    const bound = boundaryQuery(enumTable, walk, lower, 500, upper);
    assert.equal(await explain(bound.sql, bound.values), 'range', `the bound query is a range scan: ${bound.sql}`);
    const range = keyRange(walk.parts, lower, upper)!;
    const countSql = `SELECT COUNT(*) AS n FROM e FORCE INDEX (PRIMARY) WHERE ${range.sql}`;
    assert.equal(await explain(countSql, range.values), 'range', `a chunk is a range scan: ${range.sql}`);
    // The expectation from the rows themselves, compared as (index, n) tuples in JS.
    const [all] = await pool.query({ sql: 'SELECT e+0, n FROM e', rowsAsArray: true }) as unknown as [number[][]];
    const cmp = (a: number[], b: number[]) => (a[0]! - b[0]!) || (a[1]! - b[1]!);
    const expected = all.filter((r) => cmp(r, lower) > 0 && cmp(r, upper) <= 0).length;
    const [[got]] = (await pool.query(countSql, range.values)) as unknown as [[{ n: number }]];
    assert.equal(Number(got.n), expected);

    const dt = await inspectTable(pool, database, 'd');
    const decimal = keyWalk({ ...dt, key: chooseKey(dt, dt) });
    const dr = keyRange(decimal.parts, ['12000000000000.002000'], ['12000000000000.003000'])!;
    const [[exact]] = (await pool.query(`SELECT COUNT(*) AS n FROM d FORCE INDEX (PRIMARY) WHERE ${dr.sql}`, dr.values)) as unknown as [[{ n: number }]];
    assert.equal(Number(exact.n), 1000, 'exactly the 1000 keys of (…002000, …003000]');
    // The same bounds compared as DOUBLE: the key is dense enough that they collapse (what the CAST prevents).
    const [[double]] = (await pool.query(
      'SELECT COUNT(*) AS n FROM d WHERE CAST(d AS DOUBLE) > CAST(? AS DOUBLE) AND CAST(d AS DOUBLE) <= CAST(? AS DOUBLE)', dr.values)) as unknown as [[{ n: number }]];
    assert.notEqual(Number(double.n), 1000, 'a DOUBLE comparison would take other rows');
    assert.match(dr.sql, /CAST\(\? AS DECIMAL\(20,6\)\)/);
  } finally {
    await pool.end();
  }
});
