/**
 * Copies one chunk in its own READ COMMITTED transaction (see statement.ts): lock the range with
 * NOWAIT, INSERT … SELECT, then SHOW WARNINGS on the same connection; a lossy warning rolls the
 * chunk back (so a resumed run cannot keep truncated rows that IGNORE would then skip silently),
 * anything else commits. The copier runs it holding the shadow gate shared (see shadow-gate.ts).
 */
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { ChunkInfo } from '../types.ts';
import { resolveSkippedRows } from './dropped-rows.ts';
import { READ_COMMITTED_NEXT } from './locking.ts';
import { copyStatement, lockStatement, type CopyStatementPlan } from './statement.ts';
import { checkCopyWarnings } from './warnings.ts';

/** What one chunk's INSERT … SELECT did: rows it read from the source, and rows it wrote into the shadow. */
export interface ChunkCounts {
  /** Source rows the statement read (the server's `Records:`). */
  readonly read: number;
  /** Rows inserted into the shadow (duplicates skipped by IGNORE are not counted; stale rows replaced are). */
  readonly written: number;
}

/** `Records: N  Duplicates: D  Warnings: W` of an INSERT … SELECT; undefined when absent. */
function recordsOf(header: ResultSetHeader): number | undefined {
  const m = /Records:\s*(\d+)/.exec(header.info ?? '');
  return m ? Number(m[1]) : undefined;
}

export async function copyChunk(
  conn: PoolConnection, plan: CopyStatementPlan, chunk: ChunkInfo | Pick<ChunkInfo, 'lower' | 'upper'>,
): Promise<ChunkCounts> {
  const { sql, values } = copyStatement(plan, chunk);
  const lock = lockStatement(plan, chunk);
  if (lock) await conn.query(READ_COMMITTED_NEXT);
  await conn.query('START TRANSACTION');
  try {
    if (lock) await conn.query(lock.sql, lock.values);
    const [header] = await conn.query<ResultSetHeader>(sql, values);
    const resolved = await checkCopyWarnings(conn, header, plan.shadowName, () => resolveSkippedRows(conn, plan, chunk), plan.shadowKeyIndex);
    await conn.query('COMMIT');
    const written = header.affectedRows + resolved;
    return { read: Math.max(written, recordsOf(header) ?? written), written };
  } catch (err) {
    // A deadlock already rolled back; a lock wait timeout, a NOWAIT refusal or a lossy warning did not.
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
