/**
 * Data fidelity, temporal types, under a concurrent workload during copy and replay: DATE, YEAR,
 * TIME / DATETIME / TIMESTAMP with every fractional precision 0..6 at their limits; DATETIME ↔
 * TIMESTAMP conversions; zero dates written by a permissive application session (the engine's own
 * sessions are strict but without NO_ZERO_DATE / NO_ZERO_IN_DATE, so they carry them); a
 * zero-in-date value that a conversion to TIMESTAMP cannot hold is refused, as natively.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source at cutover.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { createMigration, LossyConversionError } from '../../mod.ts';
import { appPool, deferIndexesFromEnv, testConnection } from '../support/db.ts';
import { checkOutcome, dropDatabase, prepareSource, runFidelityCase, snapshotExpected } from '../support/fidelity-harness.ts';
import { edgesOr, intIn, oneOf, orNull, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const FSPS = [0, 1, 2, 3, 4, 5, 6];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DD HH:MM:SS.ffffff' for a random instant in [from, to] (UTC arithmetic, valid calendar dates). */
function datetimeIn(from: string, to: string): ValueGen {
  const a = Date.parse(`${from}Z`);
  const b = Date.parse(`${to}Z`);
  return (rng: Rng) => {
    const d = new Date(a + Math.floor(rng() * (b - a)));
    const micros = Math.floor(rng() * 1_000_000);
    return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros, 6)}`;
  };
}

function timeValue(rng: Rng): string {
  const h = Math.floor(rng() * 839);
  const sign = rng() < 0.3 ? '-' : '';
  return `${sign}${h}:${pad(Math.floor(rng() * 60))}:${pad(Math.floor(rng() * 60))}.${pad(Math.floor(rng() * 1_000_000), 6)}`;
}

const DATETIME_EDGES = ['1000-01-01 00:00:00', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00', '2000-02-29 12:00:00.5', '2024-12-31 23:59:59.999999', '2024-01-01 00:00:00.000001'];
const TIMESTAMP_EDGES = ['1970-01-01 00:00:01', '2038-01-19 03:14:07.999999', '2000-02-29 23:59:59.999999', '2024-03-10 02:30:00.000001', '1999-12-31 23:59:59.5'];
const TIME_EDGES = ['-838:59:59', '838:59:59', '00:00:00', '00:00:00.000001', '-00:00:00.000001', '23:59:59.999999', '-12:00:00.5'];

function temporalColumns(opts: { zeroDates: boolean }): Record<string, ValueGen> {
  const zeroDate = opts.zeroDates ? ['0000-00-00', '2024-00-15', '2024-02-00', '0000-01-01'] : [];
  const zeroDatetime = opts.zeroDates ? ['0000-00-00 00:00:00', '2024-00-00 10:00:00.5', '2024-05-00 00:00:00.000001'] : [];
  const zeroTimestamp = opts.zeroDates ? ['0000-00-00 00:00:00'] : [];
  const cols: Record<string, ValueGen> = {
    d: orNull(edgesOr(['1000-01-01', '9999-12-31', '1970-01-01', '2000-02-29', ...zeroDate], (rng) => String(datetimeIn('1000-01-01 00:00:00', '9999-12-31 00:00:00')(rng)).slice(0, 10))),
    y: orNull(oneOf(1901, 2155, 0, 2000)),
  };
  for (const f of FSPS) {
    cols[`t${f}`] = orNull(edgesOr(TIME_EDGES, timeValue));
    cols[`dt${f}`] = orNull(edgesOr([...DATETIME_EDGES, ...zeroDatetime], datetimeIn('1000-01-01 00:00:00', '9999-12-31 23:59:59')));
    cols[`ts${f}`] = orNull(edgesOr([...TIMESTAMP_EDGES, ...zeroTimestamp], datetimeIn('1970-01-02 00:00:00', '2038-01-18 00:00:00')));
  }
  return cols;
}

function createTable(): string {
  const cols = FSPS.flatMap((f) => [`t${f} TIME(${f})`, `dt${f} DATETIME(${f})`, `ts${f} TIMESTAMP(${f}) NULL DEFAULT NULL`]);
  return `CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, d DATE, y YEAR, ${cols.join(', ')})`;
}

const key = { key: ['id'], newKey: (rng: Rng) => [intIn(1, 300_000)(rng)] };

test('TIME, DATETIME and TIMESTAMP of every precision 0..6, DATE and YEAR at their limits survive a copy migration under writes', async () => {
  const database = 'fidelity_temporal_all';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: createTable(), target: { ...key, columns: temporalColumns({ zeroDates: false }) }, rows: 5000, seed: 21,
    alter: 'ADD COLUMN note VARCHAR(10) NOT NULL DEFAULT \'x\', ADD INDEX by_dt6 (dt6)',
  });
  checkOutcome(outcome);
});

test('DATETIME → TIMESTAMP and TIMESTAMP → DATETIME conversions and precision changes under writes', async () => {
  const database = 'fidelity_temporal_convert';
  databases.push(database);
  const columns = temporalColumns({ zeroDates: false });
  // Columns converted to TIMESTAMP must hold values TIMESTAMP can represent.
  for (const f of [0, 3, 6]) columns[`dt${f}`] = orNull(edgesOr(TIMESTAMP_EDGES, datetimeIn('1970-01-02 00:00:00', '2038-01-18 00:00:00')));
  const outcome = await runFidelityCase({
    database, create: createTable(), target: { ...key, columns }, rows: 5000, seed: 22,
    alter: [
      'MODIFY dt0 TIMESTAMP(0) NULL DEFAULT NULL', 'MODIFY dt3 TIMESTAMP(3) NULL DEFAULT NULL', 'MODIFY dt6 TIMESTAMP(6) NULL DEFAULT NULL',
      'MODIFY ts0 DATETIME(0)', 'MODIFY ts3 DATETIME(6)', 'MODIFY ts6 DATETIME(6)',
      'MODIFY t2 TIME(6)', 'MODIFY dt4 DATETIME(6)', 'MODIFY d DATETIME',
    ].join(', '),
  });
  checkOutcome(outcome);
});

test('zero dates written by a permissive session survive a copy migration under writes', async () => {
  const database = 'fidelity_temporal_zero';
  databases.push(database);
  const permissive = [`SET SESSION sql_mode = ''`];
  const outcome = await runFidelityCase({
    database, create: createTable(), target: { ...key, columns: temporalColumns({ zeroDates: true }) }, rows: 5000, seed: 23,
    sessionSql: permissive,
    alter: 'ADD COLUMN note INT NULL, MODIFY d DATE NULL COMMENT \'zero dates inside\'',
  });
  checkOutcome(outcome);
  // The migrated table really holds zero dates and zero-in-date values (else this proves nothing about them).
  const pool = appPool(database, 1);
  try {
    const [[row]] = await pool.query<RowDataPacket[]>(
      `SELECT SUM(d = '0000-00-00') AS zero, SUM(MONTH(d) = 0 AND YEAR(d) > 0) AS zeroMonth, SUM(ts6 = '0000-00-00 00:00:00') AS zeroTs FROM t`,
    );
    assert.ok(Number(row!.zero) > 0 && Number(row!.zeroMonth) > 0 && Number(row!.zeroTs) > 0, JSON.stringify(row));
  } finally {
    await pool.end();
  }
});

test('a zero-in-date DATETIME converted to TIMESTAMP is refused (LossyConversionError), as the native ALTER in the same sql_mode refuses it', async () => {
  const database = 'fidelity_temporal_zero_convert';
  databases.push(database);
  const permissive = [`SET SESSION sql_mode = ''`];
  const alter = 'MODIFY dt0 TIMESTAMP NULL DEFAULT NULL';
  const pool = await prepareSource({
    database, create: createTable(), rows: 200, seed: 24, sessionSql: permissive,
    target: { ...key, columns: { dt0: (rng) => `20${10 + Math.floor(rng() * 10)}-01-02 03:04:05` } },
    setupSql: [`UPDATE t SET dt0 = '2024-00-15 10:00:00' ORDER BY id LIMIT 1`],
  });
  try {
    await assert.rejects(snapshotExpected(database, alter, permissive), /Incorrect datetime value/);
    await using migration = await createMigration({ connection: testConnection(database), statement: `ALTER TABLE t ${alter}`, tryNative: false, checksum: false, ...deferIndexesFromEnv() });
    await assert.rejects(migration.run(), (err: unknown) => err instanceof LossyConversionError && err.column === 'dt0');
  } finally {
    await pool.end();
  }
});
