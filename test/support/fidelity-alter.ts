/**
 * One ALTER, two ways, on the same rows (no concurrent workload): the server's own ALTER on a copy
 * (`expected_<t>`, run under the server's global sql_mode and time_zone, as the user's session),
 * and `createMigration({ tryNative: false })` on the table itself. Then either both succeeded and
 * the tables are identical (compare.ts, plus the AUTO_INCREMENT counter), or the server refused
 * and Sluice refused too, before creating anything: same table definition, same rows, no new
 * table in the schema, the binlog position unchanged.
 */
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import { createMigration, type SluiceOptions } from '../../mod.ts';
import { currentBinlogPosition } from '../../core/connection/connection.ts';
import { readAutoIncrement } from '../../core/table/inspect.ts';
import { compareTables, describeComparison, isIdentical } from './compare.ts';
import { deferIndexesFromEnv, testConnection } from './db.ts';

export interface AlterCase {
  schema: string;
  table: string;
  /** CREATE TABLE <table> … (the name must be the case's table). */
  create: string;
  /** Statements that fill the table (run in a '+00:00' session unless `sessionSql` says otherwise). */
  fill: string[];
  /** What follows ALTER TABLE <table>. */
  alter: string;
  sessionSql?: string[];
  options?: Partial<SluiceOptions>;
}

export type AlterVerdict =
  | { kind: 'agree'; rows: number }
  | { kind: 'both-refused'; serverError: string; sluiceError: Error }
  | { kind: 'differ'; detail: string };

export interface AlterOutcome {
  verdict: AlterVerdict;
  /** Sluice's error when it refused (whatever the server did). */
  sluiceError?: Error;
  /** When Sluice refused: what changed on the server meanwhile (tables, create, rows, binlog); empty = nothing. */
  changed?: string[];
  /** The server's error on the native ALTER, if any. */
  serverError?: { errno: number; message: string };
  log: string[];
}

const id = (s: string) => mysql.escapeId(s, true);

async function tablesOf(db: Pool, schema: string): Promise<string[]> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [schema]);
  return rows.map((r) => String(r.n));
}

async function showCreate(db: Pool, schema: string, table: string): Promise<string> {
  const [rows] = await db.query<RowDataPacket[]>(`SHOW CREATE TABLE ${id(schema)}.${id(table)}`);
  return String(rows[0]!['Create Table']);
}

async function checksum(db: Pool, schema: string, table: string): Promise<string> {
  const [rows] = await db.query<RowDataPacket[]>(`CHECKSUM TABLE ${id(schema)}.${id(table)} EXTENDED`);
  return String(rows[0]!.Checksum);
}

/** Creates and fills the case's table and its native expectation; returns the server's error, if any. */
export async function prepareAlterCase(conn: Connection, c: AlterCase): Promise<{ errno: number; message: string } | undefined> {
  const t = `${id(c.schema)}.${id(c.table)}`;
  const e = `${id(c.schema)}.${id(`expected_${c.table}`)}`;
  await conn.query(`SET SESSION time_zone = '+00:00'`);
  for (const s of c.sessionSql ?? []) await conn.query(s);
  // Also what an earlier failed case on this table name left for a resume (shadow, checkpoint, old table).
  const leftovers = ['_new', '_chkpnt', '_old'].map((suffix) => `${id(c.schema)}.${id(`_${c.table}${suffix}`)}`);
  await conn.query(`DROP TABLE IF EXISTS ${t}, ${e}, ${leftovers.join(', ')}`);
  await conn.query(c.create);
  for (const s of c.fill) await conn.query(s);
  const [cols] = await conn.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION`,
    [c.schema, c.table]);
  const list = cols.map((r) => id(String(r.n))).join(', ');
  await conn.query(`SET SESSION sql_mode = ''`); // CREATE … LIKE must not judge the source's own definition
  await conn.query(`CREATE TABLE ${e} LIKE ${t}`);
  await conn.query(`INSERT INTO ${e} (${list}) SELECT ${list} FROM ${t}`);
  const [[ai]] = await conn.query<RowDataPacket[]>(`SELECT AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, [c.schema, c.table]);
  if (ai?.ai != null) await conn.query(`ALTER TABLE ${e} AUTO_INCREMENT = ${Number(ai.ai)}`);
  // The user's own session: the server's global sql_mode and time_zone.
  await conn.query('SET SESSION sql_mode = @@GLOBAL.sql_mode, time_zone = @@GLOBAL.time_zone');
  try {
    await conn.query(`ALTER TABLE ${e} ${c.alter}`);
    return undefined;
  } catch (err) {
    const x = err as { errno?: number; sqlMessage?: string };
    if (typeof x.errno !== 'number') throw err;
    await conn.query(`DROP TABLE IF EXISTS ${e}`);
    return { errno: x.errno, message: String(x.sqlMessage) };
  } finally {
    await conn.query(`SET SESSION time_zone = '+00:00'`);
  }
}

/** Runs the case end to end (see the file comment). `pool`: a plain pool on the case's schema. */
export async function runAlterCase(conn: Connection, pool: Pool, c: AlterCase): Promise<AlterOutcome> {
  const serverError = await prepareAlterCase(conn, c);
  const before = {
    tables: await tablesOf(pool, c.schema),
    create: await showCreate(pool, c.schema, c.table),
    rows: await checksum(pool, c.schema, c.table),
    binlog: await currentBinlogPosition(pool),
  };
  const log: string[] = [];
  let sluiceError: Error | undefined;
  try {
    await using migration = await createMigration({
      connection: testConnection(c.schema),
      statement: `ALTER TABLE ${id(c.table)} ${c.alter}`,
      tryNative: false,
      checksum: false,
      threads: 1,
      targetChunkMs: 50,
      progressIntervalMs: 60_000,
      ...deferIndexesFromEnv(),
      ...c.options,
    });
    migration.on((event) => { if (event.type === 'log' && event.level !== 'debug') log.push(`${event.level}: ${event.message}`); });
    await migration.run();
  } catch (err) {
    sluiceError = err as Error;
  }
  let unchanged: string[] | undefined;
  if (sluiceError) {
    const after = {
      tables: await tablesOf(pool, c.schema),
      create: await showCreate(pool, c.schema, c.table),
      rows: await checksum(pool, c.schema, c.table),
      binlog: await currentBinlogPosition(pool),
    };
    unchanged = (['tables', 'create', 'rows', 'binlog'] as const).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  }
  const base = { log, ...(sluiceError ? { sluiceError, changed: unchanged } : {}), ...(serverError ? { serverError } : {}) };
  if (serverError || sluiceError) {
    if (!serverError) return { ...base, verdict: { kind: 'differ', detail: `the server's ALTER succeeded, Sluice refused: ${sluiceError!.message}` } };
    if (!sluiceError) return { ...base, verdict: { kind: 'differ', detail: `the server refused (${serverError.errno} ${serverError.message}), Sluice migrated` } };
    if (unchanged!.length) return { ...base, verdict: { kind: 'differ', detail: `refused (${sluiceError.message}) but changed: ${unchanged!.join(', ')}` } };
    return { ...base, verdict: { kind: 'both-refused', serverError: `${serverError.errno} ${serverError.message}`, sluiceError } };
  }
  const comparison = await compareTables(pool, c.schema, c.table, `expected_${c.table}`);
  const problems: string[] = [];
  if (!isIdentical(comparison)) problems.push(describeComparison(comparison));
  const [actualAi, expectedAi] = [await readAutoIncrement(pool, c.schema, c.table), await readAutoIncrement(pool, c.schema, `expected_${c.table}`)];
  if (actualAi !== expectedAi) problems.push(`AUTO_INCREMENT: expected ${expectedAi} actual ${actualAi}`);
  if (problems.length) return { ...base, verdict: { kind: 'differ', detail: problems.join('\n') } };
  return { ...base, verdict: { kind: 'agree', rows: comparison.actualRows } };
}

/** A readable one-case account for assertion messages. */
export function describeOutcome(c: AlterCase, o: AlterOutcome): string {
  const v = o.verdict;
  const what = v.kind === 'differ' ? v.detail : v.kind === 'agree' ? `agree (${v.rows} rows)` : `both refused: server ${v.serverError}; Sluice ${v.sluiceError.message}`;
  return `ALTER TABLE ${c.table} ${c.alter}\n  on ${c.create.replace(/\s+/g, ' ')}\n  ${what}`;
}
