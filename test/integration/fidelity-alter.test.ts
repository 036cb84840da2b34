/**
 * Issue 12, items 1, 2, 3, 5 and 10: the statement's own semantics against the server's own ALTER
 * on a copy of the same rows (test/support/fidelity-alter.ts), or a refusal that changed nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import { AlterRejectedError, InvalidOptionError, KeyColumnChangeError, StoredGeneratedInputError } from '../../mod.ts';
import { testServer } from '../../scripts/sandbox.ts';
import { describeOutcome, runAlterCase, type AlterCase, type AlterOutcome } from '../support/fidelity-alter.ts';
import { fileDatabases } from '../support/db.ts';

const DB = 'fidelity_alter';
const dbs = fileDatabases();
let pool: Pool;
let conn: Connection;

before(async () => {
  pool = await dbs.database(DB);
  const s = testServer();
  conn = await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password: s.password, database: DB, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
});
after(async () => { await conn.end(); });

const run = (c: Omit<AlterCase, 'schema' | 'table'> & { table?: string }): Promise<AlterOutcome> =>
  runAlterCase(conn, pool, { schema: DB, table: 't', ...c, create: c.create });

function agrees(c: Parameters<typeof run>[0], o: AlterOutcome): void {
  assert.equal(o.verdict.kind, 'agree', describeOutcome({ schema: DB, table: 't', ...c }, o));
}

/** Runs `fn` with a GLOBAL variable set, restoring it afterwards. */
async function withGlobal<T>(name: 'sql_mode' | 'time_zone', value: string, fn: () => Promise<T>): Promise<T> {
  const [[row]] = await conn.query<RowDataPacket[]>(`SELECT @@GLOBAL.${name} AS v`);
  await conn.query(`SET GLOBAL ${name} = ?`, [value]);
  try {
    return await fn();
  } finally {
    await conn.query(`SET GLOBAL ${name} = ?`, [String(row!.v)]);
  }
}

const ROWS = `INSERT INTO t (id, a, b, c) VALUES (1, 10, 20, 3), (2, 11, 21, NULL), (3, NULL, 22, 3), (4, 13, NULL, 30)`;
const ABC = 'CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT)';

test('item 1: a column dropped and re-added is new (its default, not the old values), also NOT NULL over old NULLs', async () => {
  for (const alter of [
    'DROP COLUMN c, ADD COLUMN c INT NOT NULL DEFAULT 5',
    'ADD COLUMN c2 INT, DROP COLUMN c, ADD COLUMN c INT NOT NULL DEFAULT 5 AFTER id',
    'DROP COLUMN IF EXISTS c, ADD COLUMN IF NOT EXISTS c INT NOT NULL DEFAULT 5',
  ]) {
    const c = { create: ABC, fill: [ROWS], alter };
    agrees(c, await run(c));
  }
});

test('item 1: rename chains follow the original columns (RENAME a TO x, ADD a; swaps; CHANGE chains; DROP b, RENAME a TO b)', async () => {
  for (const alter of [
    'RENAME COLUMN a TO x, ADD COLUMN a INT DEFAULT 7',
    'CHANGE a x BIGINT, ADD COLUMN a INT NOT NULL DEFAULT 7 FIRST',
    'RENAME COLUMN a TO b, RENAME COLUMN b TO a',
    'CHANGE a b INT, CHANGE b c INT, CHANGE c a INT',
    'DROP COLUMN b, RENAME COLUMN a TO b',
    'RENAME COLUMN a TO b, DROP COLUMN b',
    'ALTER COLUMN a SET DEFAULT 3, DROP a, ADD a INT',
  ]) {
    const c = { create: ABC, fill: [ROWS], alter };
    agrees(c, await run(c));
  }
});

test('item 2: an explicit AUTO_INCREMENT=N is what the server gives (N, or MAX(id)+1 when N is lower); without one the counter is carried', async () => {
  const create = 'CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)';
  const fill = ['INSERT INTO t (v) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)', 'ALTER TABLE t AUTO_INCREMENT = 32'];
  for (const alter of ['AUTO_INCREMENT=15, MODIFY v BIGINT', 'AUTO_INCREMENT = 5, MODIFY v BIGINT', 'MODIFY v BIGINT, AUTO_INCREMENT 40', 'MODIFY v BIGINT']) {
    const c = { create, fill, alter };
    agrees(c, await run(c));
  }
  const [[row]] = await conn.query<RowDataPacket[]>(`SELECT AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't'`, [DB]);
  assert.equal(Number(row!.ai), 32, 'the last case (no AUTO_INCREMENT in the statement) keeps the carried counter');
});

test("item 1: a STORED generated column over a column the ALTER replaces is refused before anything is created (the server may keep its old values)", async () => {
  const create = "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20), gs VARCHAR(30) AS (CONCAT(b, '!')) STORED, gv VARCHAR(30) AS (CONCAT(a, '?')) VIRTUAL)";
  const fill = ["INSERT INTO t (id, a, b) VALUES (1, 1, 'x'), (2, 2, NULL)"];
  for (const alter of ["DROP COLUMN b, ADD COLUMN b VARCHAR(5) DEFAULT 'q'", "ADD COLUMN n INT FIRST, DROP COLUMN b, RENAME COLUMN a TO b"]) {
    const o = await run({ create, fill, alter });
    assert.ok(o.sluiceError instanceof StoredGeneratedInputError, `${alter}: ${o.sluiceError?.message ?? describeOutcome({ schema: DB, table: 't', create, fill, alter }, o)}`);
    assert.deepEqual(o.changed, []);
  }
  // A VIRTUAL column is computed on read: replacing its input migrates, identical to the server's ALTER.
  const c = { create, fill, alter: 'DROP COLUMN a, ADD COLUMN a INT NOT NULL DEFAULT 5' };
  agrees(c, await run(c));
});

const STRICT = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

test("item 3: under the server's strict global sql_mode, what the server refuses (1067) Sluice refuses with its message, before creating anything", async () => {
  await withGlobal('sql_mode', STRICT, async () => {
    const cases = [
      { create: 'CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME)', fill: [`INSERT INTO t VALUES (1, '2020-01-01 00:00:00')`], alter: "CHANGE dt dt DATETIME NOT NULL DEFAULT '1970-00-00 00:00:00'" },
      {
        create: "CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME NOT NULL DEFAULT '1970-00-00 00:00:00')", sessionSql: [`SET SESSION sql_mode = ''`],
        fill: [`INSERT INTO t VALUES (1, '2020-01-01 00:00:00')`], alter: 'ENGINE=InnoDB',
      },
    ];
    for (const c of cases) {
      const o = await run(c);
      assert.equal(o.verdict.kind, 'both-refused', describeOutcome({ schema: DB, table: 't', ...c }, o));
      assert.ok(o.sluiceError instanceof AlterRejectedError, String(o.sluiceError));
      assert.equal(o.sluiceError.errno, 1067);
      assert.match(o.sluiceError.message, /Invalid default value for 'dt'/);
      assert.deepEqual(o.changed, [], 'nothing changed: tables, definition, rows, binlog position');
    }
  });
  // The same statement under a lax global mode: the server accepts it, so does Sluice.
  await withGlobal('sql_mode', 'NO_ENGINE_SUBSTITUTION', async () => {
    const c = { create: 'CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME)', fill: [`INSERT INTO t VALUES (1, '2020-01-01 00:00:00')`], alter: "CHANGE dt dt DATETIME NOT NULL DEFAULT '1970-00-00 00:00:00'" };
    agrees(c, await run(c));
  });
});

test('item 3: the sqlMode option names the mode the ALTER is judged under', async () => {
  const c = {
    create: 'CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME)', fill: [`INSERT INTO t VALUES (1, '2020-01-01 00:00:00')`],
    alter: "CHANGE dt dt DATETIME NOT NULL DEFAULT '1970-00-00 00:00:00'", options: { sqlMode: STRICT },
  };
  const o = await run(c);
  assert.ok(o.sluiceError instanceof AlterRejectedError, describeOutcome({ schema: DB, table: 't', ...c }, o));
  assert.deepEqual(o.changed, []);
  // A mode or zone the server does not know is bad input: a one-line InvalidOptionError, nothing changed.
  for (const options of [{ sqlMode: 'NO_SUCH_MODE' }, { timeZone: 'Mars/Olympus_Mons' }]) {
    const bad = await run({ ...c, alter: 'ADD COLUMN z INT', options });
    assert.ok(bad.sluiceError instanceof InvalidOptionError, String(bad.sluiceError));
    assert.match(bad.sluiceError.message, /^(sqlMode|timeZone) "[^"]+" is not/);
    assert.deepEqual(bad.changed, []);
  }
});

test('item 5: a key column change that rounds or collapses values is refused before anything is created', async () => {
  const cases: [string, string, string[]][] = [
    ['CREATE TABLE t (k DATETIME(6) NOT NULL PRIMARY KEY, v INT)', 'MODIFY k DATETIME NOT NULL', [`INSERT INTO t VALUES ('2020-01-01 00:00:00.100000', 1), ('2020-01-01 00:00:00.200000', 2)`]],
    ['CREATE TABLE t (k VARCHAR(20) NOT NULL PRIMARY KEY, v INT)', 'MODIFY k VARCHAR(5) NOT NULL', [`INSERT INTO t VALUES ('a', 1), ('b', 2)`]],
    ['CREATE TABLE t (k VARCHAR(20) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT)', 'MODIFY k VARCHAR(20) COLLATE utf8mb4_general_ci NOT NULL', [`INSERT INTO t VALUES ('a', 1), ('B', 2)`]],
    ['CREATE TABLE t (k VARCHAR(20) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT)', 'CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci', [`INSERT INTO t VALUES ('a', 1), ('b', 2)`]],
    ['CREATE TABLE t (k DECIMAL(10,3) NOT NULL PRIMARY KEY, v INT)', 'MODIFY k DECIMAL(10,1) NOT NULL', [`INSERT INTO t VALUES (1.001, 1), (1.002, 2)`]],
  ];
  for (const [create, alter, fill] of cases) {
    const o = await run({ create, fill, alter });
    assert.ok(o.sluiceError instanceof KeyColumnChangeError, `${alter}: ${o.sluiceError?.message ?? 'migrated'}`);
    assert.match(o.sluiceError.message, /primary key column k .* from .* to /);
    assert.doesNotMatch(o.sluiceError.message, /\n/);
    assert.deepEqual(o.changed, [], `${alter}: nothing changed, not even the binlog position`);
  }
  // Widening changes keep every key: migrated, identical to the server's ALTER.
  for (const [create, alter, fill] of [
    ['CREATE TABLE t (k INT NOT NULL PRIMARY KEY, v INT)', 'MODIFY k BIGINT NOT NULL', [`INSERT INTO t VALUES (1, 1), (2, 2)`]],
    ['CREATE TABLE t (k VARCHAR(10) NOT NULL PRIMARY KEY, v INT)', 'MODIFY k VARCHAR(30) NOT NULL', [`INSERT INTO t VALUES ('a', 1), ('b ', 2)`]],
    ['CREATE TABLE t (k DATETIME(3) NOT NULL PRIMARY KEY, v INT)', 'MODIFY k DATETIME(6) NOT NULL', [`INSERT INTO t VALUES ('2020-01-01 00:00:00.123', 1)`]],
  ] as [string, string, string[]][]) {
    const c = { create, fill, alter };
    agrees(c, await run(c));
  }
});

test('item 5: on a partitioned table (probed without its partitioning) the key change is refused before anything is created', async () => {
  const o = await run({
    create: 'CREATE TABLE t (k DATETIME(6) NOT NULL PRIMARY KEY, v INT) PARTITION BY KEY (k) PARTITIONS 2',
    fill: [`INSERT INTO t VALUES ('2020-01-01 00:00:00.100000', 1), ('2020-01-01 00:00:00.200000', 2)`],
    alter: 'MODIFY k DATETIME NOT NULL',
  });
  assert.ok(o.sluiceError instanceof KeyColumnChangeError, String(o.sluiceError));
  assert.deepEqual(o.changed, [], 'nothing changed, not even the binlog position');
});

test('item 5: a table the probe cannot copy (FULLTEXT index) still refuses the key change before the copy, leaving no table behind', async () => {
  const o = await run({
    create: 'CREATE TABLE t (k DATETIME(6) NOT NULL PRIMARY KEY, body TEXT, FULLTEXT KEY ft (body))',
    fill: [`INSERT INTO t VALUES ('2020-01-01 00:00:00.100000', 'a'), ('2020-01-01 00:00:00.200000', 'b')`],
    alter: 'MODIFY k DATETIME NOT NULL',
  });
  assert.ok(o.sluiceError instanceof KeyColumnChangeError, String(o.sluiceError));
  assert.deepEqual(o.changed, ['binlog'], 'the shadow was created and dropped again: only the binlog records it');
});

test("item 10: DATETIME ↔ TIMESTAMP convert in the server's global time zone (+05:30), as the native ALTER; the checksum agrees", async () => {
  await withGlobal('time_zone', '+05:30', async () => {
    const create = `CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME(6), d DATE, ts TIMESTAMP(3) NULL DEFAULT NULL, ts2 TIMESTAMP NULL DEFAULT NULL, s VARCHAR(40))`;
    const fill = [
      `INSERT INTO t VALUES (1, '2020-06-01 12:00:00.123456', '2020-06-01', '2020-06-01 12:00:00.123', '2021-01-01 00:00:00', 'x'),
        (2, '1970-01-02 00:00:00', '1999-12-31', '1970-01-01 06:00:00', '2038-01-19 00:00:00', NULL),
        (3, NULL, NULL, NULL, NULL, NULL), (4, '0000-00-00 00:00:00', '0000-00-00', '0000-00-00 00:00:00', NULL, 'z')`,
    ];
    const sessionSql = [`SET SESSION sql_mode = ''`];
    for (const alter of [
      'MODIFY dt TIMESTAMP(6) NULL DEFAULT NULL, MODIFY ts DATETIME(3)',
      'MODIFY d TIMESTAMP NULL DEFAULT NULL, MODIFY ts2 DATETIME, MODIFY ts VARCHAR(40)',
      "ADD COLUMN at TIMESTAMP NOT NULL DEFAULT '2020-01-01 00:00:00'",
    ]) {
      const c = { create, fill, alter, sessionSql, options: { checksum: true } };
      const o = await run(c);
      agrees(c, o);
      assert.deepEqual(o.log.filter((l) => /mismatch/i.test(l)), [], 'the checksum found nothing to re-copy');
    }
    // The timeZone option wins over the global zone: '+00:00' converts as before (and differs from the native ALTER here).
    const c = { create, fill, alter: 'MODIFY dt TIMESTAMP(6) NULL DEFAULT NULL', sessionSql, options: { timeZone: '+00:00' } };
    const o = await run(c);
    assert.equal(o.verdict.kind, 'differ', 'converting at +00:00 is not what the +05:30 server does');
  });
});

/** Loads one named zone into the server's time zone tables when it does not know it yet. */
async function ensureZone(name: string): Promise<void> {
  const [[row]] = await conn.query<RowDataPacket[]>(`SELECT CONVERT_TZ('2021-01-01 00:00:00', ?, '+00:00') AS v`, [name]);
  if (row!.v !== null) return;
  const s = testServer();
  const sql = spawnSync('mariadb-tzinfo-to-sql', [`/usr/share/zoneinfo/${name}`, name], { encoding: 'utf8' });
  assert.equal(sql.status, 0, `mariadb-tzinfo-to-sql could not convert ${name} (needed to load the zone): ${sql.stderr}`);
  const load = spawnSync('mariadb', ['-h', s.host, '-P', String(s.port), '-u', s.user, 'mysql'], { input: sql.stdout, encoding: 'utf8', env: { ...process.env, MYSQL_PWD: s.password } });
  assert.equal(load.status, 0, `loading ${name} into the time zone tables failed: ${load.stderr}`);
}

test('item 10: a named global time zone with daylight saving (Europe/Berlin): overlaps convert as the native ALTER, gaps are refused like it', async () => {
  await ensureZone('Europe/Berlin');
  await withGlobal('time_zone', 'Europe/Berlin', async () => {
    const create = `CREATE TABLE t (id INT PRIMARY KEY, dt DATETIME(6), ts TIMESTAMP(6) NULL DEFAULT NULL)`;
    // 02:30 on 2021-10-31 exists twice in Berlin (overlap); the TIMESTAMPs fall on both sides of the changes.
    const rows = `(2, '2021-10-31 02:30:00', '2021-10-31 00:30:00'), (3, '2021-10-31 02:59:59.999999', '2021-10-31 01:30:00'),
      (4, '2021-07-01 12:00:00', '2021-01-01 12:00:00'), (5, '1970-01-02 00:30:00', '2038-01-19 03:14:07'), (6, NULL, NULL),
      (7, '2021-03-28 03:00:00', '2021-03-28 00:59:59.999999'), (8, '2021-03-28 01:59:59', '2021-03-28 01:00:00')`;
    for (const alter of ['MODIFY ts DATETIME(6)', 'MODIFY dt TIMESTAMP(6) NULL DEFAULT NULL', 'MODIFY ts DATETIME(6), MODIFY dt TIMESTAMP(6) NULL DEFAULT NULL']) {
      const c = { create, fill: [`INSERT INTO t VALUES ${rows}`], alter, options: { checksum: true } };
      const o = await run(c);
      agrees(c, o);
      assert.deepEqual(o.log.filter((l) => /mismatch/i.test(l)), [], 'the checksum found nothing to re-copy');
    }
    // 02:30 on 2021-03-28 does not exist in Berlin (gap): the server's strict ALTER refuses it, the copy stops as lossy.
    const c = { create, fill: [`INSERT INTO t VALUES ${rows}, (1, '2021-03-28 02:30:00.5', NULL)`], alter: 'MODIFY dt TIMESTAMP(6) NULL DEFAULT NULL' };
    const o = await run(c);
    assert.equal(o.serverError?.errno, 1292, describeOutcome({ schema: DB, table: 't', ...c }, o));
    assert.match(String(o.sluiceError?.message), /would change data/);
  });
});
