/**
 * The generated fidelity sweep: table shapes × ALTER clause kinds, each run both ways by
 * fidelity-alter.ts (the server's own ALTER on a copy of the rows, and a `tryNative: false`
 * migration). A combination agrees when both results are identical, or when Sluice refused it
 * before creating anything with one of the documented refusals (README "What Sluice refuses"),
 * the server itself refusing it too where the refusal is the server's (AlterRejectedError).
 */
import mysql, { type Connection, type Pool } from 'mysql2/promise';
import { AlterRejectedError, KeyColumnChangeError, NoUsableKeyError, StoredGeneratedInputError, UnsupportedAlterError } from '../../mod.ts';
import { testServer } from '../../scripts/sandbox.ts';
import { appPool } from './db.ts';
import { describeOutcome, runAlterCase, type AlterCase, type AlterOutcome } from './fidelity-alter.ts';

export interface Shape {
  name: string;
  /** Key column(s) definition, then the common columns a, b, c, d follow, then `extra`. */
  key: string;
  primaryKey: string;
  extra?: string;
  tail?: string;
  /** Key values for 6 rows, as SQL literals (one tuple each). */
  keys: string[];
  keyColumns: string;
  partitioned?: boolean;
  fillExtra?: string[];
}

const COMMON = 'a INT, b VARCHAR(20), c DECIMAL(10,2), d DATETIME(3)';
const VALUES = [
  `1, 'x', 1.25, '2020-01-01 10:00:00.123'`,
  `2, 'y', -3.50, NULL`,
  `3, 'é', NULL, '1999-12-31 23:59:59.999'`,
  `NULL, NULL, 0, '2038-01-19 03:14:07'`,
  `5, 'long text 1', 99999999.99, '1970-01-01 00:00:01'`,
  `6, '', 2, '2000-02-29 12:00:00'`,
];

export const SHAPES: readonly Shape[] = [
  { name: 'int', key: 'id INT NOT NULL AUTO_INCREMENT', primaryKey: 'id', keyColumns: 'id', keys: ['1', '2', '3', '4', '5', '9'], fillExtra: ['ALTER TABLE {t} AUTO_INCREMENT = 20'] },
  { name: 'decimal', key: 'id DECIMAL(12,3) NOT NULL', primaryKey: 'id', keyColumns: 'id', keys: ['1.5', '2.25', '-7.125', '0', '123456789.001', '3'] },
  {
    name: 'composite', key: 'k1 VARCHAR(16) NOT NULL, k2 VARBINARY(8) NOT NULL', primaryKey: 'k1, k2', keyColumns: 'k1, k2',
    keys: [`'a', X'01'`, `'a', X'0200'`, `'B', X'01'`, `'é', X''`, `'b', X'ff'`, `'zz top', X'00'`],
  },
  {
    name: 'invisible-generated', key: 'id BIGINT NOT NULL', primaryKey: 'id', keyColumns: 'id', keys: ['10', '20', '30', '40', '50', '60'],
    extra: `, inv INT INVISIBLE DEFAULT 4, g INT AS (a * 2) VIRTUAL, gs VARCHAR(30) AS (CONCAT(b, '!')) STORED`,
    fillExtra: ['UPDATE {t} SET inv = id + 1 WHERE id > 30'],
  },
  { name: 'partitioned', key: 'id INT NOT NULL', primaryKey: 'id', keyColumns: 'id', keys: ['1', '2', '3', '4', '5', '6'], tail: ' PARTITION BY HASH (id) PARTITIONS 3', partitioned: true },
  {
    name: 'on-update', key: 'id INT NOT NULL', primaryKey: 'id', keyColumns: 'id', keys: ['1', '2', '3', '4', '5', '6'],
    extra: `, upd TIMESTAMP(3) NOT NULL DEFAULT '2020-01-01 00:00:00' ON UPDATE CURRENT_TIMESTAMP(3)`,
    fillExtra: [`UPDATE {t} SET upd = '2021-05-05 05:05:05.555' WHERE a > 2`],
  },
];

/** Clause kinds over the common columns (a INT, b VARCHAR(20), c DECIMAL(10,2), d DATETIME(3)). */
export const CLAUSES: readonly string[] = [
  'DROP COLUMN a',
  'ADD COLUMN n INT NOT NULL DEFAULT 7',
  "ADD COLUMN n VARCHAR(10) DEFAULT 'z' FIRST",
  'DROP COLUMN a, ADD COLUMN a INT NOT NULL DEFAULT 5',
  "DROP COLUMN b, ADD COLUMN b VARCHAR(5) DEFAULT 'q' AFTER a",
  'DROP COLUMN d, ADD COLUMN d TIMESTAMP NULL DEFAULT NULL',
  'RENAME COLUMN a TO a2',
  'RENAME COLUMN a TO a2, ADD COLUMN a INT DEFAULT 9',
  'RENAME COLUMN a TO c, RENAME COLUMN c TO a',
  'CHANGE a x BIGINT, CHANGE b a VARCHAR(30)',
  'DROP COLUMN b, RENAME COLUMN a TO b',
  'ALTER COLUMN a SET DEFAULT 3',
  'MODIFY a BIGINT',
  'MODIFY c DECIMAL(14,4)',
  'MODIFY b VARCHAR(64)',
  'MODIFY d DATETIME(6)',
  'MODIFY d TIMESTAMP(3) NULL DEFAULT NULL',
  'MODIFY b VARCHAR(20) CHARACTER SET latin1',
  'MODIFY b VARCHAR(20) COLLATE utf8mb4_bin',
  'CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
  'DEFAULT CHARSET = latin1',
  'ADD UNIQUE KEY uq_a (a)',
  'ADD UNIQUE INDEX uq_bc (b, c)',
  'ADD INDEX ix_d (d)',
  'AUTO_INCREMENT = 1000',
  'AUTO_INCREMENT = 2',
  'ENGINE=InnoDB',
  'ROW_FORMAT=COMPACT',
  "COMMENT = 'sweep'",
  'FORCE',
  'STATS_PERSISTENT = 0',
  'DROP PRIMARY KEY',
];

/**
 * Clause kinds whose result depends on the session time zone, for the sweep under a non-UTC global
 * time zone (some name `upd`, which only the on-update shape has: elsewhere the server refuses them,
 * and so must Sluice, before creating anything).
 */
export const TIME_ZONE_CLAUSES: readonly string[] = [
  'MODIFY d TIMESTAMP(3) NULL DEFAULT NULL',
  'DROP COLUMN d, ADD COLUMN d TIMESTAMP NULL DEFAULT NULL',
  "ADD COLUMN at TIMESTAMP NOT NULL DEFAULT '2001-02-03 04:05:06'",
  'CHANGE d d2 TIMESTAMP(3) NULL, ADD COLUMN d DATETIME',
  'MODIFY upd DATETIME(3) NOT NULL',
  'MODIFY upd DATETIME(3) NOT NULL, MODIFY d TIMESTAMP(3) NULL',
  'MODIFY upd VARCHAR(40) NOT NULL',
];

/** The rows without values at the very ends of TIMESTAMP's range (which a non-UTC zone pushes out of it). */
const ZONE_SAFE_VALUES = VALUES.map((v) => v.replace('1970-01-01 00:00:01', '1970-01-02 00:00:01').replace('2038-01-19 03:14:07', '2038-01-18 03:14:07'));

/** The case for one shape and one ALTER, on table `table` of `schema`. */
export function sweepCase(schema: string, table: string, shape: Shape, alter: string, values: readonly string[] = VALUES): AlterCase {
  const t = mysql.escapeId(table);
  const rows = shape.keys.map((k, i) => `(${k}, ${values[i]})`).join(', ');
  return {
    schema, table, alter,
    create: `CREATE TABLE ${t} (${shape.key}, ${COMMON}${shape.extra ?? ''}, PRIMARY KEY (${shape.primaryKey}))${shape.tail ?? ''}`,
    fill: [`INSERT INTO ${t} (${shape.keyColumns}, a, b, c, d) VALUES ${rows}`, ...(shape.fillExtra ?? []).map((s) => s.replaceAll('{t}', t))],
  };
}

/** Every single clause, then `pairs` pairs of clauses (all pairs when pairs is Infinity), for each shape. */
export function sweepAlters(pairs: number): string[] {
  const alters = [...CLAUSES];
  const all: string[] = [];
  for (let i = 0; i < CLAUSES.length; i++) for (let j = i + 1; j < CLAUSES.length; j++) all.push(`${CLAUSES[i]}, ${CLAUSES[j]}`);
  // A fixed stride through the pairs: the same sample every run.
  const step = pairs >= all.length ? 1 : Math.max(1, Math.floor(all.length / Math.max(1, pairs)));
  for (let k = 0; k < all.length && alters.length - CLAUSES.length < pairs; k += step) alters.push(all[k]!);
  return alters;
}

const DOCUMENTED = [UnsupportedAlterError, NoUsableKeyError, KeyColumnChangeError, StoredGeneratedInputError];

/** Whether an outcome counts as agreement (see the file comment); `shape` decides the partitioned allowance. */
export function agreement(shape: Shape, o: AlterOutcome): boolean {
  if (o.verdict.kind === 'agree' || o.verdict.kind === 'both-refused') return true;
  const e = o.sluiceError;
  if (!e || !o.changed) return false;
  if (o.changed.length === 0 && DOCUMENTED.some((cls) => e instanceof cls)) return true;
  // A partitioned table cannot be probed as a temporary table: a statement the server refuses is
  // refused when the shadow is created (and the shadow dropped), so only the binlog moved.
  return Boolean(shape.partitioned && o.serverError && e instanceof AlterRejectedError && e.errno === o.serverError.errno
    && o.changed.length === 1 && o.changed[0] === 'binlog');
}

export interface SweepReport { total: number; agreed: number; refused: number; disagreements: string[] }

/**
 * Runs the combinations on `workers` connections in parallel, each in its own schema
 * (`<schema>_<w>`, created and dropped here: concurrent DDL and INFORMATION_SCHEMA scans stay apart),
 * then re-runs serially every one Sluice refused (so that "nothing changed, not even the binlog
 * position" is judged with no other migration writing to the binlog).
 */
export async function runSweep(schema: string, alters: readonly string[], opts: { workers?: number; timeZone?: string } = {}): Promise<SweepReport> {
  const workers = opts.workers ?? 3;
  const values = opts.timeZone === undefined ? VALUES : ZONE_SAFE_VALUES;
  const s = testServer();
  const schemas = Array.from({ length: workers }, (_, w) => `${schema}_${w}`);
  const pool: Pool = appPool(undefined, workers + 2);
  const conns: Connection[] = [];
  for (const db of schemas) {
    await pool.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(db)}`);
    await pool.query(`CREATE DATABASE ${mysql.escapeId(db)}`);
    conns.push(await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password: s.password, database: db, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true }));
  }
  const jobs = SHAPES.flatMap((shape) => alters.map((alter) => ({ shape, alter })));
  const refusedJobs: typeof jobs = [];
  const disagreements: string[] = [];
  let agreed = 0;
  const [[zone]] = await conns[0]!.query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.time_zone AS tz');
  if (opts.timeZone !== undefined) await conns[0]!.query('SET GLOBAL time_zone = ?', [opts.timeZone]);
  try {
    let next = 0;
    await Promise.all(conns.map(async (conn, w) => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const c = sweepCase(schemas[w]!, 't', job.shape, job.alter, values);
        const o = await runAlterCase(conn, pool, c);
        if (o.sluiceError) refusedJobs.push(job);
        else if (agreement(job.shape, o)) agreed++;
        else disagreements.push(`[${job.shape.name}] ${describeOutcome(c, o)}`);
      }
    }));
    for (const job of refusedJobs) {
      const c = sweepCase(schemas[0]!, 't', job.shape, job.alter, values);
      const o = await runAlterCase(conns[0]!, pool, c);
      if (agreement(job.shape, o)) agreed++;
      else disagreements.push(`[${job.shape.name}] ${describeOutcome(c, o)}${o.changed?.length ? ` (changed: ${o.changed.join(', ')})` : ''}`);
    }
  } finally {
    if (opts.timeZone !== undefined) await conns[0]!.query('SET GLOBAL time_zone = ?', [String(zone!.tz)]);
    for (const c of conns) await c.end();
    if (!process.env.SLUICE_KEEP_TEST_DB) for (const db of schemas) await pool.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(db)}`);
    await pool.end();
  }
  return { total: jobs.length, agreed, refused: refusedJobs.length, disagreements };
}
