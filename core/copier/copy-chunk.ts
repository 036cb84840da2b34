/**
 * Copies one chunk in its own transaction: the INSERT … SELECT, then SHOW WARNINGS on the same
 * connection; a lossy warning rolls the chunk back (so a resumed run cannot keep truncated rows
 * that IGNORE would then skip silently), anything else commits.
 */
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type { ChunkInfo } from '../types.ts';
import { copyStatement, type CopyStatementPlan } from './statement.ts';
import { resolveSkippedRows } from './dropped-rows.ts';
import { checkCopyWarnings } from './warnings.ts';

/** Rows inserted into the shadow table (duplicates skipped by IGNORE are not counted). */
export async function copyChunk(conn: PoolConnection, plan: CopyStatementPlan, chunk: ChunkInfo): Promise<number> {
  const { sql, values } = copyStatement(plan, chunk);
  await conn.query('START TRANSACTION');
  try {
    const [header] = await conn.query<ResultSetHeader>(sql, values);
    const resolved = await checkCopyWarnings(conn, header, plan.shadowName, () => resolveSkippedRows(conn, plan, chunk));
    await conn.query('COMMIT');
    return header.affectedRows + resolved;
  } catch (err) {
    // A deadlock already rolled back; a lock wait timeout or a lossy warning did not.
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
