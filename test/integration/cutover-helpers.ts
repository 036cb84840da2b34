/** Fixtures of the cutover tests: a replay stand-in doing real SQL, tables, writers, snapshots of the schema. */
import assert from 'node:assert/strict';
import mysql, { type Connection, type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import { cutover } from '../../core/cutover/cutover.ts';
import type { CutoverLog, ReplayForCutover } from '../../core/cutover/types.ts';
import { resolveLockPolicy } from '../../core/blockers/policy.ts';
import { MigrationCancelledError } from '../../core/errors.ts';
import { throwIfAborted } from '../../core/lifecycle/abort.ts';
import { shadowTableName } from '../../core/table/names.ts';
import type { BinlogPosition } from '../../core/types.ts';
import { appPool, freshDatabase, testConnection } from '../support/db.ts';

export const id = mysql.escapeId;
export const SESSION = { lockWaitTimeout: 2, innodbLockWaitTimeout: 3 };
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Replay stand-in doing real SQL: each flush copies the source into the shadow with
 * REPLACE … SELECT on the connection it is given (which must hold the cutover's lock).
 */
export class CopyingReplay implements ReplayForCutover {
  pending = 0;
  calls: string[] = [];
  flushThreads: number[] = [];
  flushedAt: number[] = [];
  stopped = false;
  onWaitFor?: (signal: AbortSignal, n: number) => Promise<void>;
  onFlush?: (conn: Connection | PoolConnection, n: number) => Promise<void>;
  onStop?: () => Promise<void>;
  constructor(private readonly schema: string, private readonly table: string, private readonly shadow: string) {}

  async waitFor(pos: BinlogPosition, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    assert.ok(pos.file && pos.position > 0, 'waitFor gets a real binlog position');
    this.calls.push('waitFor');
    await this.onWaitFor?.(signal, this.calls.filter((c) => c === 'waitFor').length);
  }

  async flush(conn: Connection | PoolConnection): Promise<number> {
    assert.equal(this.stopped, false, 'flush after stop');
    this.calls.push('flush');
    this.flushThreads.push(conn.threadId);
    this.flushedAt.push(Date.now());
    await this.onFlush?.(conn, this.flushThreads.length);
    const [res] = await conn.query<mysql.ResultSetHeader>(
      `REPLACE INTO ${id(this.schema)}.${id(this.shadow)} (id, v) SELECT id, v FROM ${id(this.schema)}.${id(this.table)}`,
    );
    return res.affectedRows;
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    await this.onStop?.();
    this.stopped = true;
  }
}

export interface Fixture {
  db: string;
  table: string;
  shadow: string;
  pool: Pool;
  replay: CopyingReplay;
  warnings: string[];
  log: CutoverLog;
}

/** `table` (id, v) with 50 rows; its shadow adds a column `extra` and holds a copy of the rows. */
export async function fixture(db: string, table = 'orders'): Promise<Fixture> {
  const pool = await freshDatabase(db);
  const shadow = shadowTableName(table);
  await pool.query(`CREATE TABLE ${id(table)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
  await pool.query(`INSERT INTO ${id(table)} (id, v) SELECT seq, CONCAT('row ', seq) FROM seq_1_to_50`);
  await pool.query(`CREATE TABLE ${id(shadow)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL, extra INT NOT NULL DEFAULT 42)`);
  await pool.query(`INSERT INTO ${id(shadow)} (id, v) SELECT id, v FROM ${id(table)}`);
  await pool.query('CREATE TABLE unrelated (id INT PRIMARY KEY)');
  const warnings: string[] = [];
  const log: CutoverLog = { info: () => {}, debug: () => {}, warn: (m) => warnings.push(m) };
  return { db, table, shadow, pool, replay: new CopyingReplay(db, table, shadow), warnings, log };
}

export async function drop(f: Fixture): Promise<void> {
  await f.pool.query(`DROP DATABASE IF EXISTS ${id(f.db)}`);
  await f.pool.end();
}

export const options = (f: Fixture, extra: Partial<Parameters<typeof cutover>[0]> = {}) => ({
  connection: testConnection(f.db), session: SESSION, schema: f.db, table: f.table, shadow: f.shadow,
  replay: f.replay, signal: new AbortController().signal, log: f.log, ...extra,
});

export async function tables(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SHOW TABLES');
  return rows.map((r) => String(Object.values(r)[0])).sort();
}

export async function columns(pool: Pool, table: string): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [table]);
  return rows.map((r) => String(r.c));
}

export async function ids(pool: Pool, table: string): Promise<number[]> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT id FROM ${id(table)} ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

/** Everything about the tables that a cutover could change: names, columns, row checksums. */
export async function snapshot(pool: Pool): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const t of await tables(pool)) {
    const [[sum]] = await pool.query<RowDataPacket[]>(`CHECKSUM TABLE ${id(t)}`) as unknown as [RowDataPacket[]];
    out[t] = { columns: await columns(pool, t), checksum: sum!.Checksum };
  }
  return JSON.stringify(out);
}

/** The lock policy with blockers left alive. */
export const noKill = (lockWaitTimeout: number) => resolveLockPolicy({ lockWaitTimeout, killBlockers: false });

export function errno(err: unknown): number | undefined {
  return (err as { errno?: number }).errno;
}

/** Resolves never; rejects like the real replay when the signal aborts. */
export const untilAborted = (signal: AbortSignal) => new Promise<void>((_, reject) => {
  signal.addEventListener('abort', () => reject(new MigrationCancelledError(signal.reason)), { once: true });
});

/** Three application writers inserting new rows (every 2 ms each) while `during` runs. */
export async function withWriters<T>(f: Fixture, during: () => Promise<T>) {
  const app = appPool(f.db, 3);
  const written: { id: number; start: number; end: number }[] = [];
  const errors: unknown[] = [];
  let running = true;
  let next = 10_000;
  const writer = async () => {
    while (running) {
      const rowId = next++;
      const start = Date.now();
      try {
        await app.query(`INSERT INTO ${id(f.table)} (id, v) VALUES (?, 'writer')`, [rowId]);
        written.push({ id: rowId, start, end: Date.now() });
      } catch (err) {
        errors.push(err);
      }
      await sleep(2);
    }
  };
  const writers = [writer(), writer(), writer()];
  try {
    await sleep(150);
    const result = await during();
    await sleep(150);
    running = false;
    await Promise.all(writers);
    const inNew = new Set(await ids(f.pool, f.table));
    const missing = written.filter((w) => !inNew.has(w.id)).map((w) => w.id);
    return { result, written, errors, inNew, missing };
  } finally {
    running = false;
    await Promise.all(writers);
    await app.end();
  }
}

