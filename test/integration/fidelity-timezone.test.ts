/**
 * Data fidelity with a server time zone other than UTC (SET GLOBAL time_zone = '+05:30' for this
 * file, restored after): the application writes TIMESTAMPs in +05:30, the engine's sessions run in
 * +00:00. A TIMESTAMP(6) is part of the primary key (replay finds rows by the key decoded from the
 * binlog), an ON UPDATE CURRENT_TIMESTAMP(6) column must be carried, not recomputed, and
 * DATETIME ↔ TIMESTAMP conversions happen in the server's +05:30 (as the expectation's native ALTER, run
 * under the global time_zone as a user's session would).
 */
import { test, before, after } from 'node:test';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { testServer } from '../../scripts/sandbox.ts';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { intIn, orNull, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
let savedZone = 'SYSTEM';

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const s = testServer();
  const c = await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password: s.password });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

before(async () => {
  savedZone = await admin(async (c) => {
    const [[row]] = await c.query<RowDataPacket[]>('SELECT @@GLOBAL.time_zone AS tz');
    await c.query(`SET GLOBAL time_zone = '+05:30'`);
    return String(row!.tz);
  });
});

after(async () => {
  await admin((c) => c.query('SET GLOBAL time_zone = ?', [savedZone]));
  for (const db of databases) await dropDatabase(db);
});

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** A TIMESTAMP literal as the +05:30 application writes it (whole range, microseconds). */
const localTimestamp: ValueGen = (rng: Rng) => {
  const d = new Date(Date.parse('1971-01-01T00:00:00Z') + Math.floor(rng() * (Date.parse('2037-12-31T00:00:00Z') - Date.parse('1971-01-01T00:00:00Z'))));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(Math.floor(rng() * 1e6), 6)}`;
};

const CREATE = `CREATE TABLE t (
  ts TIMESTAMP(6) NOT NULL, n INT NOT NULL,
  dt DATETIME(6), ts3 TIMESTAMP(3) NULL DEFAULT NULL,
  upd TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  v INT,
  PRIMARY KEY (ts, n)
)`;

const target = {
  key: ['ts', 'n'],
  newKey: (rng: Rng) => [localTimestamp(rng), Number(intIn(0, 3)(rng))],
  // upd is left to the server (DEFAULT / ON UPDATE), as an application would.
  columns: { dt: orNull(localTimestamp), ts3: orNull(localTimestamp), v: orNull(intIn(-100, 100)) },
};

test('a non-UTC server time zone: TIMESTAMP(6) in the key, ON UPDATE CURRENT_TIMESTAMP carried, copy under writes', async () => {
  const database = 'fidelity_tz_copy';
  databases.push(database);
  checkOutcome(await runFidelityCase({ database, create: CREATE, target, rows: 8000, seed: 81, chunkDelayMs: 150, alter: 'ADD COLUMN extra INT, ADD INDEX by_upd (upd)' }));
});

test('a non-UTC server time zone: DATETIME → TIMESTAMP and TIMESTAMP → DATETIME under writes', async () => {
  const database = 'fidelity_tz_convert';
  databases.push(database);
  checkOutcome(await runFidelityCase({
    database, create: CREATE, target, rows: 8000, seed: 82, chunkDelayMs: 150,
    alter: 'MODIFY dt TIMESTAMP(6) NULL DEFAULT NULL, MODIFY ts3 DATETIME(3)',
  }));
});

test('the same copy under writes with the yielding copier (copyYields): exact, and the workload is not starved', async () => {
  // The first yielding copy (NOWAIT over the whole chunk, retried and split) took ~51 s here and ran the workload out of time.
  const database = 'fidelity_tz_yields';
  databases.push(database);
  checkOutcome(await runFidelityCase({ database, create: CREATE, target, rows: 8000, seed: 83, chunkDelayMs: 150, copyYields: true, alter: 'ADD COLUMN extra INT, ADD INDEX by_upd (upd)' }));
});
