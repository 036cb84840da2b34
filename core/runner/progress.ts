/**
 * The live measures of a progress report (core/types.ts ProgressMeasures): the copy's rate and ETA
 * against the row estimate, and replay's lag behind the binlog head in seconds. The lag is measured
 * against the head positions read at earlier reports: replay is as far behind as the oldest head it
 * has not applied yet (0 once it applied the latest one), to the resolution of the report interval.
 */
import type { Pool } from 'mysql2/promise';
import { compareBinlogPositions, currentBinlogPosition } from '../connection/connection.ts';
import { RateMeter } from '../lifecycle/rate.ts';
import type { BinlogPosition, ProgressMeasures, ProgressSnapshot } from '../types.ts';

/** Head positions older than this are forgotten: the lag then reads as at least this much. */
const LAG_HISTORY_MS = 3_600_000;

export class LagClock {
  #heads: Array<{ at: number; pos: BinlogPosition }> = [];

  /** Records the head read at `at`, and returns the lag of `applied` in seconds. */
  observe(head: BinlogPosition, applied: BinlogPosition, at = Date.now()): number {
    const last = this.#heads.at(-1);
    if (!last || compareBinlogPositions(head, last.pos) > 0) this.#heads.push({ at, pos: head });
    while (this.#heads.length > 0 && compareBinlogPositions(applied, this.#heads[0]!.pos) >= 0) this.#heads.shift();
    while (this.#heads.length > 1 && at - this.#heads[0]!.at > LAG_HISTORY_MS) this.#heads.shift();
    const oldest = this.#heads[0];
    return oldest ? Math.round((at - oldest.at) / 1000) : 0;
  }
}

export class ProgressMeter {
  readonly #copy = new RateMeter();
  readonly #lag = new LagClock();

  async measure(
    s: ProgressSnapshot, opts: { pool: Pool; startedAt: number; copyDone: boolean; pendingKeys: number },
  ): Promise<ProgressMeasures> {
    const total = s.rowsEstimate > 0 ? Math.max(s.rowsEstimate, s.rowsCopied) : null;
    const rate = this.#copy.measure(s.rowsCopied, total, { finished: opts.copyDone });
    let replayLagSeconds: number | null = null;
    if (s.binlog) {
      try {
        replayLagSeconds = this.#lag.observe(await currentBinlogPosition(opts.pool), s.binlog);
      } catch {
        // unknown this time (a lost connection is handled by the loops); the report goes out without it
      }
    }
    return {
      rowsPerSecond: rate.perSecond, etaSeconds: rate.etaSeconds, percent: rate.percent,
      elapsedMs: Date.now() - opts.startedAt, replayLagSeconds, pendingKeys: opts.pendingKeys,
    };
  }
}
