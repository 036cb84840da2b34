/**
 * One chunk, copied whole or, after lock conflicts, in pieces: each conflict rolls back and backs
 * off; every third one in a row halves the piece (down to one row) and the copier's chunk size; each piece that commits
 * lets the next one double again (up to the chunk size). Piece bounds are found on the key's index inside
 * the chunk, so the pieces partition the chunk's range exactly whatever is inserted meanwhile.
 * Retries are bounded by time without progress (ConflictBackoff), not by a count.
 */
import type { PoolConnection } from 'mysql2/promise';
import type { ChunkInfo, KeyTuple } from '../types.ts';
import type { TableRef } from './chunker.ts';
import type { ChunkSizer } from './chunk-size.ts';
import { copyChunk } from './copy-chunk.ts';
import { keyAfterRows } from './keyset-chunker.ts';
import { isLockConflict } from './locking.ts';
import type { ConflictBackoff } from './retry.ts';
import type { ShadowGate } from './shadow-gate.ts';
import type { CopyStatementPlan } from './statement.ts';

export interface AdaptiveCopy {
  readonly table: TableRef;
  readonly plan: CopyStatementPlan;
  readonly sizer: ChunkSizer;
  readonly gate: ShadowGate;
  /** Called with each piece's bounds before it is copied (tests observe the pieces). */
  readonly onPiece?: (piece: { lower: KeyTuple | null; upper: KeyTuple | null }) => void;
}

/** Rows read and inserted, and the time spent in the transactions that committed (not in backoff, nor waiting for the gate). */
export async function copyAdaptively(
  conn: PoolConnection, chunk: ChunkInfo, how: AdaptiveCopy, backoff: ConflictBackoff,
): Promise<{ rows: number; read: number; ms: number }> {
  let lower = chunk.lower;
  let pieceRows: number | null = null; // null: the whole rest of the chunk
  let rows = 0;
  let read = 0;
  let ms = 0;
  for (;;) {
    let upper = chunk.upper;
    let last = true;
    if (pieceRows !== null) {
      const bound = await keyAfterRows(conn, how.table, how.plan.walk, lower, pieceRows, chunk.upper);
      if (bound) {
        upper = bound;
        last = false;
      }
    }
    how.onPiece?.({ lower, upper });
    let started = 0;
    try {
      const counts = await how.gate.shared(() => {
        started = performance.now(); // the transaction's time, not the wait for the gate
        return copyChunk(conn, how.plan, { lower, upper });
      });
      rows += counts.written;
      read += counts.read;
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      // Application transactions are short: retry the same piece twice, then halve it.
      if (backoff.attempts % 3 === 2) {
        pieceRows = Math.max(1, Math.floor((pieceRows ?? how.sizer.size) / 2));
        how.sizer.conflict();
      }
      await backoff.conflict(err);
      continue;
    }
    ms += performance.now() - started;
    backoff.progress();
    if (last) return { rows, read, ms };
    lower = upper;
    pieceRows = Math.min(how.sizer.size, pieceRows! * 2);
  }
}
