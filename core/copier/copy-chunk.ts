/**
 * Copies one chunk in its own READ COMMITTED transaction (see statement.ts): lock the range with
 * NOWAIT, INSERT … SELECT, then SHOW WARNINGS on the same connection; a lossy warning rolls the
 * chunk back (so a resumed run cannot keep truncated rows that IGNORE would then skip silently),
 * anything else commits; with foreign_key_checks off (core/connection/foreign-key-checks.ts). The copier runs it holding the shadow gate shared (see shadow-gate.ts).
 */
import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { withoutForeignKeyChecks } from '../connection/foreign-key-checks.ts';
import type { ChunkInfo } from '../types.ts';
import { resolveSkippedRows } from './dropped-rows.ts';
import { READ_COMMITTED_NEXT } from './locking.ts';
import { copyStatement, lockStatement, type CopyStatementPlan } from './statement.ts';
import { checkCopyWarnings } from './warnings.ts';

/** Rows inserted into the shadow table (duplicates skipped by IGNORE are not counted). */
export async function copyChunk(
  conn: PoolConnection, plan: CopyStatementPlan, chunk: ChunkInfo | Pick<ChunkInfo, 'lower' | 'upper'>,
): Promise<number> {
  const { sql, values } = copyStatement(plan, chunk);
  const lock = lockStatement(plan, chunk);
  return withoutForeignKeyChecks(conn, async () => {
    if (lock) await conn.query(READ_COMMITTED_NEXT);
    await conn.query('START TRANSACTION');
    try {
      if (lock) await conn.query(lock.sql, lock.values);
      const [header] = await conn.query<ResultSetHeader>(sql, values);
      const resolved = await checkCopyWarnings(conn, header, plan.shadowName, () => resolveSkippedRows(conn, plan, chunk));
      await conn.query('COMMIT');
      return header.affectedRows + resolved;
    } catch (err) {
      // A deadlock already rolled back; a lock wait timeout, a NOWAIT refusal or a lossy warning did not.
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}
