/**
 * The services plugins get from core through tokens (Tokens.Replay, Tokens.Copy): narrow,
 * documented views over the replayer and the copier, so a plugin never reaches into core/.
 */
import mysql, { type PoolConnection, type Pool } from 'mysql2/promise';
import { ReplayLagError } from '../blockers/errors.ts';
import { currentBinlogPosition, type Queryable } from '../connection/connection.ts';
import { asCancellation } from '../lifecycle/abort.ts';
import type { BinlogPosition } from '../types.ts';
import { copyAdaptively } from '../copier/adaptive-copy.ts';
import { ChunkSizer } from '../copier/chunk-size.ts';
import { keyRange } from '../copier/key-range.ts';
import type { ShareLocking } from '../copier/locking.ts';
import { ConflictBackoff, LOCK_RETRY_POLICY } from '../copier/retry.ts';
import { ShadowGate } from '../copier/shadow-gate.ts';
import { KeysetChunker, keyWalk } from '../copier/keyset-chunker.ts';
import { keyParts } from '../table/key.ts';
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

/** How the checksum's re-copy locks: like the copier's chunks (see core/copier/README.md, "Deadlocks"). */
export interface RecopyTuning {
  /** NOWAIT / SKIP LOCKED clauses (null: blocking locking reads, old servers). */
  locking: ShareLocking | null;
  /** The shadow gate shared with replay (a private one when the shadow has no AUTO_INCREMENT column). */
  gate?: ShadowGate;
  targetChunkMs: number;
  conflictTimeoutMs: number;
  signal: AbortSignal;
}

export function copyControl(pool: Pool, source: TableInfo, shadow: string, mapping: ColumnMapping, tuning: RecopyTuning): CopyControl {
  const plan = planCopyStatement(source, shadow, mapping, tuning.locking);
  const gate = tuning.gate ?? new ShadowGate();
  const sizer = new ChunkSizer(tuning.targetChunkMs);
  return {
    rangeCondition(lower, upper) {
      return keyRange(keyParts(source), lower, upper) ?? { sql: '1=1', values: [] };
    },
    async *chunks(db: Queryable, rows: number) {
      const chunker = new KeysetChunker(source, keyWalk(source), null);
      for (;;) {
        const chunk = await chunker.next(db, rows);
        if (!chunk) return;
        yield chunk;
      }
    },
    async recopy(lower, upper) {
      const range = keyRange(keyParts(source), lower, upper);
      const conn: PoolConnection = await pool.getConnection();
      try {
        await conn.query(
          `DELETE FROM ${mysql.escapeId(source.schema)}.${mysql.escapeId(shadow)}${range ? ` WHERE ${range.sql}` : ''}`,
          range?.values ?? [],
        );
        // The copier's chunk transaction: never waits for the application holding locks (yielding locking
        // reads), holds the shadow gate shared, backs off and splits on conflicts, bounded by time.
        const backoff = new ConflictBackoff(`the checksum's re-copy of ${source.name}`, { ...LOCK_RETRY_POLICY, timeoutMs: tuning.conflictTimeoutMs }, tuning.signal);
        return (await copyAdaptively(conn, { index: -1, lower, upper }, { table: source, plan, sizer, gate }, backoff)).rows;
      } finally {
        conn.release();
      }
    },
  };
}

