/**
 * Data fidelity, numeric types, under a concurrent workload during copy and replay: every integer
 * type signed and unsigned at its limits (BIGINT UNSIGNED max), DECIMAL(65,30), FLOAT/DOUBLE
 * (negative zero, denormals, extremes), BIT(1..64), YEAR; NULL in every nullable column.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source at cutover.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutcome, countRows, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { edgesOr, intIn, oneOf, orNull, sql, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

/** A random integer string in [min, max] (BigInt-exact). */
function bigIn(min: bigint, max: bigint): ValueGen {
  return (rng: Rng) => {
    const span = max - min + 1n;
    const r = (BigInt(Math.floor(rng() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng() * 2 ** 32));
    return (min + (r % span)).toString();
  };
}

function intColumn(bits: number, unsigned: boolean): ValueGen {
  const min = unsigned ? 0n : -(2n ** BigInt(bits - 1));
  const max = unsigned ? 2n ** BigInt(bits) - 1n : 2n ** BigInt(bits - 1) - 1n;
  const edges = [min, max, 0n, 1n, unsigned ? max - 1n : -1n, unsigned ? 2n ** BigInt(bits - 1) : min + 1n].map(String);
  return orNull(edgesOr(edges, bigIn(min, max)));
}

/** A random decimal string with up to `int` integer and `frac` fraction digits. */
function decimalIn(int: number, frac: number): ValueGen {
  return (rng) => {
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');
    const i = digits(1 + Math.floor(rng() * int)).replace(/^0+(?=\d)/, '');
    return `${rng() < 0.5 ? '-' : ''}${i}.${digits(frac)}`;
  };
}

const MAX_DEC = `${'9'.repeat(35)}.${'9'.repeat(30)}`;
const bits = (n: number, pattern: 'ones' | 'high' | 'low' | 'zero' | 'alt') => {
  const s = pattern === 'ones' ? '1'.repeat(n) : pattern === 'high' ? `1${'0'.repeat(n - 1)}` : pattern === 'low' ? '1'
    : pattern === 'zero' ? '0' : '10'.repeat(Math.ceil(n / 2)).slice(0, n);
  return sql(`b'${s}'`);
};
const bitColumn = (n: number): ValueGen => orNull(oneOf(...(['ones', 'high', 'low', 'zero', 'alt'] as const).map((p) => bits(n, p))));

const columns: Record<string, ValueGen> = {
  ti: intColumn(8, false), tu: intColumn(8, true),
  si: intColumn(16, false), su: intColumn(16, true),
  mi: intColumn(24, false), mu: intColumn(24, true),
  i: intColumn(32, false), iu: intColumn(32, true),
  bi: intColumn(64, false), bu: intColumn(64, true),
  d: orNull(edgesOr([MAX_DEC, `-${MAX_DEC}`, `0.${'0'.repeat(29)}1`, `-0.${'0'.repeat(29)}1`, '0', '1'], decimalIn(35, 30))),
  d2: orNull(edgesOr(['999.99', '-999.99', '0.01', '0'], decimalIn(3, 2))),
  f: orNull(edgesOr(
    [sql('-1e-46'), 0, 1.401298464324817e-45, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 0.1, 16777217],
    (rng) => (rng() - 0.5) * 10 ** Math.floor(rng() * 60 - 30),
  )),
  db: orNull(edgesOr(
    [-0, sql('-1e-400'), 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 0.1, 9007199254740993],
    (rng) => (rng() - 0.5) * 10 ** Math.floor(rng() * 600 - 300),
  )),
  b1: bitColumn(1), b7: bitColumn(7), b8: bitColumn(8), b63: bitColumn(63), b64: bitColumn(64),
  y: orNull(oneOf(1901, 2155, 0, 1970, 2024, '2069', '70')),
};

const CREATE = `CREATE TABLE t (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
  d DECIMAL(65,30), d2 DECIMAL(5,2) NOT NULL DEFAULT 0, f FLOAT, db DOUBLE,
  b1 BIT(1), b7 BIT(7), b8 BIT(8), b63 BIT(63), b64 BIT(64), y YEAR
)`;

const target = {
  key: ['id'],
  // Keys spread far above the seeded ones too: inserts and PK moves land beyond the copier's reach.
  newKey: (rng: Rng) => [intIn(1, 400_000)(rng)],
  columns: { ...columns, d2: edgesOr(['999.99', '-999.99', '0.01', '0'], decimalIn(3, 2)) },
};

test('every numeric type at its limits survives a copy migration (ADD COLUMN, ADD INDEX) under writes', async () => {
  const database = 'fidelity_numeric_add';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: CREATE, target, rows: 6000, seed: 11,
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 7, ADD INDEX by_bu (bu), ADD INDEX by_d (d)',
  });
  checkOutcome(outcome);
  // The edge values really are in the migrated table (else the comparison proves nothing about them).
  const edges: Record<string, string> = {
    'BIGINT UNSIGNED max': `bu = 18446744073709551615`,
    'BIGINT min': `bi = -9223372036854775808`,
    'DECIMAL(65,30) max': `d = ${MAX_DEC}`,
    'DECIMAL(65,30) smallest': `d = -0.${'0'.repeat(29)}1`,
    'FLOAT negative zero': `f = 0 AND ATAN2(f, -1) < 0`,
    'FLOAT denormal': `f > 0 AND f < 1e-44`,
    'DOUBLE denormal': `db > 0 AND db < 1e-320`,
    'DOUBLE max': `db = 1.7976931348623157e308`,
    'BIT(64) all ones': `b64 = 0xFFFFFFFFFFFFFFFF`,
    'YEAR 0': `y = 0`,
  };
  for (const c of Object.keys(columns).filter((c) => c !== 'd2')) edges[`NULL in ${c}`] = `${c} IS NULL`;
  for (const [name, where] of Object.entries(edges)) assert.ok(await countRows(database, where) > 0, `no row with ${name}`);
});

test('widening numeric types (INT→BIGINT, TINYINT→SMALLINT, FLOAT→DOUBLE, BIT(7)→BIT(64), DECIMAL scale up) under writes', async () => {
  const database = 'fidelity_numeric_widen';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: CREATE, target, rows: 6000, seed: 12,
    alter: 'MODIFY i BIGINT, MODIFY iu BIGINT UNSIGNED, MODIFY ti SMALLINT, MODIFY f DOUBLE, MODIFY b7 BIT(64), MODIFY d2 DECIMAL(12,6) NOT NULL DEFAULT 0, MODIFY y SMALLINT',
  });
  checkOutcome(outcome);
});
