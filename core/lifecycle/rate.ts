/**
 * Rate and ETA of a long step (the copy, the checksum): rows per second over a sliding window of
 * samples, and the time left at that rate. Estimates stay estimates: no rate until two samples
 * half a second apart, no ETA while the rate is unknown or the estimate of the total is exceeded.
 */

export interface RateReading {
  /** Units per second over the last `windowMs` (null: not measured yet). */
  readonly perSecond: number | null;
  /** Seconds left at that rate (null: unknown; 0 once finished). */
  readonly etaSeconds: number | null;
  /** Done of total, 0..100, whole (null: no total); at most 99 until the step says it is finished. */
  readonly percent: number | null;
}

export class RateMeter {
  readonly #windowMs: number;
  #samples: Array<{ at: number; done: number }> = [];

  constructor(windowMs = 30_000) {
    this.#windowMs = windowMs;
  }

  /** Records `done` (a count that only grows) and reads the rate; `total` may be an estimate. */
  measure(done: number, total: number | null, opts: { finished?: boolean; now?: number } = {}): RateReading {
    const now = opts.now ?? Date.now();
    this.#samples.push({ at: now, done });
    while (this.#samples.length > 2 && now - this.#samples[1]!.at >= this.#windowMs) this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (now - first.at) / 1000;
    const perSecond = seconds >= 0.5 ? Math.round(Math.max(0, (done - first.done) / seconds)) : null;
    if (opts.finished) return { perSecond, etaSeconds: 0, percent: total === null ? null : 100 };
    const percent = total !== null && total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : null;
    const left = total === null ? null : total - done;
    const etaSeconds = perSecond && left !== null && left > 0 ? Math.ceil(left / perSecond) : null;
    return { perSecond, etaSeconds, percent };
  }
}
