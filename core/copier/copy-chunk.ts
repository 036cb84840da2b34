/**
 * Copies one chunk in its own READ COMMITTED transaction (see statement.ts), then SHOW WARNINGS
 * on the same connection; a lossy warning rolls the chunk back (so a resumed run cannot keep
 * truncated rows that IGNORE would then skip silently), anything else commits. The copier runs
 * it holding the shadow gate shared (see shadow-gate.ts), with foreign_key_checks off
 * (core/connection/foreign-key-checks.ts).
 *
 * Yielding (plan.locking, README.md "The yielding copy"): the INSERT … SELECT … SKIP LOCKED copies
 * every row no other transaction holds, never waiting; a `COUNT(*) … NOWAIT` over the range then
 * either locks every row (all copied, or the few that appeared since copied too) or fails at once
 * because a row is held. Then only the holes are retried: the committed rows of the range the shadow
 * lacks (a consistent read), locked by key with NOWAIT and copied; still held, the chunk commits what it
 * has and throws ChunkHeldError (the caller backs off and calls again with `holes: true`).
 */
import mysql, { type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { queryRows } from '../connection/connection.ts';
import { withoutForeignKeyChecks } from '../connection/foreign-key-checks.ts';
import type { ChunkInfo, KeyTuple } from '../types.ts';
import { missingFromShadow, resolveSkippedRows } from './dropped-rows.ts';
import { isLockConflict, READ_COMMITTED_NEXT } from './locking.ts';
import { copyStatement, lockStatement, type CopyStatementPlan } from './statement.ts';
import type { KeyPart } from '../table/key.ts';
import { checkCopyWarnings } from './warnings.ts';

type Range = Pick<ChunkInfo, 'lower' | 'upper'>;

/** Rows of the chunk were held by other transactions: `rows` are copied and committed, the holes remain. */
export class ChunkHeldError extends Error {
  constructor(readonly rows: number, readonly held: number, options?: { cause?: unknown }) {
    super(`${held} row(s) of the chunk are held by other transactions`, options);
  }
}

/** What one chunk did: rows it read from the source, and rows it wrote into the shadow. */
export interface ChunkCounts {
  /** Source rows the statements read (the server's `Records:`; at least `written`). */
  readonly read: number;
  /** Rows inserted into the shadow (duplicates skipped by IGNORE are not counted; stale rows replaced are). */
  readonly written: number;
}

export async function copyChunk(conn: PoolConnection, plan: CopyStatementPlan, chunk: Range, opts: { holes?: boolean } = {}): Promise<ChunkCounts> {
  return withoutForeignKeyChecks(conn, async () => {
    if (plan.locking) await conn.query(READ_COMMITTED_NEXT);
    await conn.query('START TRANSACTION');
    let rows = 0;
    try {
      if (plan.locking) {
        const outcome = await copyYielding(conn, plan, chunk, opts.holes ?? false);
        rows = outcome.rows;
        await conn.query('COMMIT');
        if (outcome.held > 0) throw new ChunkHeldError(rows, outcome.held);
        return { read: Math.max(rows, outcome.read), written: rows };
      }
      const counts = await insertRange(conn, plan, chunk);
      await conn.query('COMMIT');
      return counts;
    } catch (err) {
      if (err instanceof ChunkHeldError) throw err;
      // A deadlock already rolled back; a lock wait timeout, a NOWAIT refusal or a lossy warning did not.
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** The chunk's INSERT … SELECT (SKIP LOCKED when yielding, a blocking locking read otherwise), warnings checked. */
async function insertRange(conn: PoolConnection, plan: CopyStatementPlan, chunk: Range): Promise<ChunkCounts> {
  const { sql, values } = copyStatement(plan, chunk);
  const [header] = await conn.query<ResultSetHeader>(sql, values);
  const written = header.affectedRows + await warnings(conn, plan, chunk, header);
  return { read: Math.max(written, recordsOf(header) ?? written), written };
}

/** The statement's warnings checked (checkCopyWarnings); returns the rows written for skipped ones. */
function warnings(conn: PoolConnection, plan: CopyStatementPlan, chunk: Range, header: ResultSetHeader): Promise<number> {
  return checkCopyWarnings(conn, header, plan.shadowName, () => resolveSkippedRows(conn, plan, chunk), plan.shadowKeyIndex);
}

/** The range's rows the shadow lacks, all locked by this transaction already (SKIP LOCKED only skips rows that appeared since: replay carries them). */
async function insertMissing(conn: PoolConnection, plan: CopyStatementPlan, chunk: Range): Promise<number> {
  const missing = missingFromShadow(plan, chunk);
  const [header] = await conn.query<ResultSetHeader>(`${plan.head} WHERE ${missing.sql} ${plan.locking!.skipLocked}`, missing.values);
  return header.affectedRows + await warnings(conn, plan, chunk, header);
}

/** "Records: 12  Duplicates: 3  Warnings: 0": the rows the INSERT's SELECT returned. */
function recordsOf(header: ResultSetHeader): number | null {
  const m = /Records:\s*(\d+)/.exec(header.info ?? '');
  return m ? Number(m[1]) : null;
}

async function copyYielding(conn: PoolConnection, plan: CopyStatementPlan, chunk: Range, holes: boolean): Promise<{ rows: number; held: number; read: number }> {
  let rows = 0;
  let read = 0;
  if (!holes) {
    const { sql, values } = copyStatement(plan, chunk);
    const [header] = await conn.query<ResultSetHeader>(sql, values);
    rows += header.affectedRows + await warnings(conn, plan, chunk, header);
    read = recordsOf(header) ?? 0;
    const lock = lockStatement(plan, chunk)!;
    try {
      const [row] = await queryRows<{ n: unknown }>(conn, lock.sql, lock.values);
      // Every row of the range is ours now: copy what the first statement skipped or did not see yet.
      if (Number(row?.n ?? 0) !== recordsOf(header)) rows += await insertMissing(conn, plan, chunk);
      return { rows, held: 0, read };
    } catch (err) {
      if (!isLockConflict(err)) throw err; // a row is held: only the statement failed, go on with the holes
    }
  }
  // The holes: committed rows of the range the shadow lacks (an uncommitted insert is not one: its commit comes through replay).
  const missing = missingFromShadow(plan, chunk);
  // Read as the key's bounds are (ENUM/SET as the member's index) and compared in the column's type.
  const reads = plan.keyColumns.map((c, i) => `${c.read} AS ${mysql.escapeId(`k${i}`)}`);
  const keys = (await queryRows<Record<string, unknown>>(conn, `SELECT ${reads.join(', ')} FROM ${plan.sourceTable} WHERE ${missing.sql}`, missing.values))
    .map((r) => plan.keyColumns.map((_, i) => r[`k${i}`]) as KeyTuple);
  if (keys.length === 0) return { rows, held: 0, read };
  const byKey = keysPredicate(plan.keyColumns, keys);
  try {
    await conn.query(`SELECT COUNT(*) FROM ${plan.sourceTable} FORCE INDEX (${mysql.escapeId(plan.walk.index)}) WHERE ${byKey.sql} ${plan.locking!.nowait}`, byKey.values);
  } catch (err) {
    if (!isLockConflict(err)) throw err;
    return { rows, held: keys.length, read };
  }
  // Locked: copy them (SKIP LOCKED only affects rows that appeared since, which replay carries).
  const [header] = await conn.query<ResultSetHeader>(`${plan.head} WHERE ${byKey.sql} ${plan.locking!.skipLocked}`, byKey.values);
  rows += header.affectedRows + await warnings(conn, plan, chunk, header);
  return { rows, held: 0, read };
}

/** `(a = ? AND b = ?) OR …` over the given keys (values as the server returned them). */
function keysPredicate(parts: readonly KeyPart[], keys: readonly KeyTuple[]): { sql: string; values: unknown[] } {
  const one = parts.length === 1 ? `${parts[0]!.ref} = ${parts[0]!.bound}` : `(${parts.map((c) => `${c.ref} = ${c.bound}`).join(' AND ')})`;
  return { sql: `(${keys.map(() => one).join(' OR ')})`, values: keys.flat() };
}
