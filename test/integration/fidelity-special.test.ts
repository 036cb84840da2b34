/**
 * Data fidelity for JSON, spatial types and generated columns (VIRTUAL and STORED, one indexed),
 * under a concurrent workload during copy and replay. Generated columns are never written by the
 * engine: the server recomputes them in the shadow table, and they must come out equal too.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source at cutover.
 */
import { test, after } from 'node:test';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { edgesOr, intIn, oneOf, orNull, sql, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const num = (rng: Rng) => ((rng() - 0.5) * 10 ** Math.floor(rng() * 20 - 5)).toString();

const JSON_EDGES = [
  '{}', '[]', 'null', '"😀"', '0', '-0', '1e400', '18446744073709551616', '{"a":1,"a":2}',
  '{"name": "caf\\u00e9 😀", "k": "v1", "nested": {"arr": [1, 2.50, -0.0, true, null, "x"]}}',
  '  { "k" :  "spaced"  }  ', '{"k": "\\"quoted\\" \\\\ back"}', '[1, [2, [3, [4]]]]',
];

const json: ValueGen = orNull(edgesOr(JSON_EDGES, (rng) => JSON.stringify({
  name: oneOf('a', 'ß', '😀', '')(rng), k: `v${intIn(0, 20)(rng)}`, n: Number(num(rng)), list: Array.from({ length: Number(intIn(0, 4)(rng)) }, () => intIn(-5, 5)(rng)),
})));

const point = (rng: Rng) => `${num(rng)} ${num(rng)}`;
const geometry: ValueGen = orNull(edgesOr([
  sql(`ST_GeomFromText('POINT(0 0)')`),
  sql(`ST_GeomFromText('POINT(-1.5 1e-300)', 4326)`),
  sql(`ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)')`),
  sql(`ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))')`),
  sql(`ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 2))')`),
  sql(`ST_GeomFromText('MULTIPOINT(1 1, 2 2, 3 3)')`),
], (rng) => sql(`ST_GeomFromText('POINT(${point(rng)})')`)));
const pointOnly: ValueGen = orNull((rng) => sql(`ST_PointFromText('POINT(${point(rng)})')`));

const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  j JSON, g GEOMETRY, p POINT, a INT, b INT,
  gv BIGINT AS (a * 1000 + b) VIRTUAL,
  gs VARCHAR(80) AS (CONCAT(COALESCE(a, 'null'), '/', COALESCE(JSON_VALUE(j, '$.name'), '-'))) STORED,
  gk VARCHAR(20) AS (JSON_UNQUOTE(JSON_EXTRACT(j, '$.k'))) VIRTUAL,
  INDEX by_gk (gk)
) DEFAULT CHARSET=utf8mb4`;

const target = {
  key: ['id'],
  newKey: (rng: Rng) => [intIn(1, 200_000)(rng)],
  columns: { j: json, g: geometry, p: pointOnly, a: orNull(intIn(-1000, 1000)), b: orNull(intIn(0, 999)) },
};

test('JSON, GEOMETRY/POINT and generated columns survive a copy migration that adds a STORED and drops a VIRTUAL one', async () => {
  const database = 'fidelity_special_generated';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: CREATE, target, rows: 5000, seed: 61,
    alter: 'ADD COLUMN gs2 INT AS (COALESCE(b, -1) * 2) STORED, DROP COLUMN gv, ADD COLUMN extra INT NOT NULL DEFAULT 3',
  });
  checkOutcome(outcome);
});

test('changing a STORED expression, adding an indexed VIRTUAL column and converting JSON to LONGTEXT under writes', async () => {
  const database = 'fidelity_special_expressions';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: CREATE, target, rows: 5000, seed: 62,
    alter: [
      `MODIFY gs VARCHAR(100) AS (CONCAT(COALESCE(b, 'null'), ':', COALESCE(JSON_VALUE(j, '$.k'), '-'))) STORED`,
      'ADD COLUMN gv2 INT AS (COALESCE(b, 0) - COALESCE(a, 0)) VIRTUAL', 'ADD INDEX by_gv2 (gv2)',
      'MODIFY j LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
    ].join(', '),
  });
  checkOutcome(outcome);
});
