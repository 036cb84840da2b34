/**
 * The services plugins get from core through tokens (Tokens.Replay, Tokens.Copy): narrow,
 * documented views over the replayer and the copier, so a plugin never reaches into core/.
 */
import mysql, { type PoolConnection, type Pool } from 'mysql2/promise';
import { ReplayLagError } from '../blockers/errors.ts';
import { currentBinlogPosition, type Queryable } from '../connection/connection.ts';
import { asCancellation } from '../lifecycle/abort.ts';
import type { BinlogPosition } from '../types.ts';
import { copyChunk } from '../copier/copy-chunk.ts';
import { keyRange } from '../copier/key-range.ts';
import { KeysetChunker } from '../copier/keyset-chunker.ts';
import { planCopyStatement } from '../copier/statement.ts';
import type { BinlogReplayer } from '../replay/replayer.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import type { CopyControl, ReplayControl } from '../tokens.ts';

export function replayControl(replayer: BinlogReplayer, signal: AbortSignal): ReplayControl {
  return {
    flush: () => replayer.flush(),
    get applied() { return replayer.applied; },
    get pending() { return replayer.pending; },
    async catchUp(db, opts) {
      const pos = await currentBinlogPosition(db);
      await waitBounded(replayer, pos, AbortSignal.any([signal, opts.signal]), opts.timeoutMs, 'before locking');
      await replayer.flush();
    },
    async syncUnderLock(conn, opts) {
      const pos = await currentBinlogPosition(conn);
      await waitBounded(replayer, pos, signal, opts?.timeoutMs, 'under the table lock');
      await replayer.flush(conn, { underLock: true });
    },
  };
}

/** replayer.waitFor(pos), at most timeoutMs (ReplayLagError after; no bound when undefined). */
async function waitBounded(replayer: BinlogReplayer, pos: BinlogPosition, signal: AbortSignal, timeoutMs: number | undefined, where: string): Promise<void> {
  if (timeoutMs === undefined) return replayer.waitFor(pos, signal);
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    await replayer.waitFor(pos, AbortSignal.any([signal, deadline]));
  } catch (err) {
    if (!signal.aborted && deadline.aborted) throw new ReplayLagError(pos, timeoutMs, where);
    if (signal.aborted) throw asCancellation(signal.reason);
    throw err;
  }
}

export function copyControl(pool: Pool, source: TableInfo, shadow: string, mapping: ColumnMapping): CopyControl {
  const plan = planCopyStatement(source, shadow, mapping);
  return {
    rangeCondition(lower, upper) {
      return keyRange(source.primaryKey, lower, upper) ?? { sql: '1=1', values: [] };
    },
    async *chunks(db: Queryable, rows: number) {
      const chunker = new KeysetChunker(source, source.primaryKey, null);
      for (;;) {
        const chunk = await chunker.next(db, rows);
        if (!chunk) return;
        yield chunk;
      }
    },
    async recopy(lower, upper) {
      const range = keyRange(source.primaryKey, lower, upper);
      const conn: PoolConnection = await pool.getConnection();
      try {
        await conn.query(
          `DELETE FROM ${mysql.escapeId(source.schema)}.${mysql.escapeId(shadow)}${range ? ` WHERE ${range.sql}` : ''}`,
          range?.values ?? [],
        );
        return (await copyChunk(conn, plan, { index: -1, lower, upper })).written;
      } finally {
        conn.release();
      }
    },
  };
}

