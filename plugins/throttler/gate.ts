/**
 * Where the copier waits. Every worker's beforeChunk calls wait(); they share one check at a time
 * and its result for `intervalMs`, so the throttlers are queried at most about once per interval.
 * While throttled, waiters poll every interval (with the run's signal). Pausing and resuming are
 * logged once and reported through RunStatus.setThrottled. A fatal state is sticky. Checks that
 * fail (ThrottleState.failing) are warned about once per episode; failing for `failAfterMs` becomes
 * fatal (ThrottleCheckFailedError).
 */
import { formatDuration, sleep, throwIfAborted, type Logger, type RunStatus } from '../../plugin-api.ts';
import { describe } from './composite.ts';
import { ThrottleCheckFailedError } from './errors.ts';
import type { ThrottleState, Throttler } from './types.ts';

export interface GateOptions {
  throttler: Pick<Throttler, 'check'>;
  intervalMs: number;
  /** Checks failing this long stop the migration (default: never). */
  failAfterMs?: number;
  log: Logger;
  status?: RunStatus;
  now?: () => number;
}

export class ThrottleGate {
  readonly #opts: GateOptions;
  readonly #now: () => number;
  #state: ThrottleState | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<ThrottleState> | undefined;
  #generation = 0;
  #pausedSince: number | undefined;
  #reason: string | undefined;
  #fatal: Error | undefined;
  #failingSince: number | undefined;
  #wake = new AbortController();

  constructor(opts: GateOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** The reason the copier is paused now, if it is. */
  get pausedReason(): string | undefined {
    return this.#pausedSince === undefined ? undefined : this.#reason;
  }

  /**
   * Resolves when the next chunk may be copied; throws the fatal error (critical load); rejects
   * with MigrationCancelledError as soon as `signal` aborts (a check in flight is awaited first).
   */
  async wait(signal: AbortSignal): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      if (this.#fatal) throw this.#fatal;
      const state = await this.#current();
      throwIfAborted(signal);
      if (state.fatal) throw state.fatal;
      if (!state.throttled) return;
      await this.#pause(signal);
    }
  }

  /** Forget the cached state and wake the waiters (a manual pause/resume takes effect now). */
  invalidate(): void {
    this.#generation++;
    this.#checkedAt = Number.NEGATIVE_INFINITY;
    const wake = this.#wake;
    this.#wake = new AbortController();
    wake.abort();
  }

  /** Settles once no check is in flight. */
  async idle(): Promise<void> {
    await this.#inflight?.catch(() => undefined);
  }

  #current(): Promise<ThrottleState> {
    if (this.#inflight) return this.#inflight;
    if (this.#state && this.#now() - this.#checkedAt < this.#opts.intervalMs) return Promise.resolve(this.#state);
    const run = this.#check().finally(() => { this.#inflight = undefined; });
    this.#inflight = run;
    return run;
  }

  async #check(): Promise<ThrottleState> {
    const generation = this.#generation;
    let state: ThrottleState;
    try {
      state = await this.#opts.throttler.check();
    } catch (err) {
      state = { throttled: true, reason: `throttle check failed (${describe(err)}): paused until it succeeds`, failing: `throttle check failed (${describe(err)})` };
    }
    state = this.#bound(state);
    this.#state = state;
    this.#checkedAt = generation === this.#generation ? this.#now() : Number.NEGATIVE_INFINITY;
    this.#transition(state);
    return state;
  }

  /** Warns when checks start failing, says when they work again, and turns failing for failAfterMs into a fatal state. */
  #bound(state: ThrottleState): ThrottleState {
    const { log, failAfterMs } = this.#opts;
    const now = this.#now();
    if (!state.failing) {
      if (this.#failingSince !== undefined) {
        log.info(`throttler: checks work again after ${((now - this.#failingSince) / 1000).toFixed(1)} s failing`);
      }
      this.#failingSince = undefined;
      return state;
    }
    const bound = failAfterMs === undefined ? '' : `; the migration stops (keeping its checkpoint) if checks fail for ${formatDuration(failAfterMs)}`;
    if (this.#failingSince === undefined) {
      this.#failingSince = now;
      log.warn(`throttler: a throttle check fails: ${state.failing}; failing closed, the copy pauses while it does (a replica: after lagReadTimeout)${bound}`);
    }
    const failingMs = now - this.#failingSince;
    if (state.fatal || failAfterMs === undefined || failingMs < failAfterMs) return state;
    const fatal = new ThrottleCheckFailedError(state.failing, failingMs);
    return { ...state, throttled: true, reason: fatal.message, fatal };
  }

  #transition(state: ThrottleState): void {
    const { log, status } = this.#opts;
    if (state.fatal) {
      this.#fatal ??= state.fatal;
      if (this.#pausedSince !== undefined) status?.setThrottled(undefined);
      this.#pausedSince = undefined;
      log.warn(`throttler: stopping the migration: ${state.fatal.message}`);
      return;
    }
    if (state.throttled) {
      const reason = state.reason ?? 'a throttler says pause';
      if (this.#pausedSince === undefined) {
        this.#pausedSince = this.#now();
        log.info(`throttler: pausing the copy (replay continues): ${reason}`);
      } else if (reason !== this.#reason) {
        log.debug(`throttler: still paused: ${reason}`);
      }
      status?.setThrottled(reason);
      this.#reason = reason;
      return;
    }
    if (this.#pausedSince !== undefined) {
      const seconds = ((this.#now() - this.#pausedSince) / 1000).toFixed(1);
      log.info(`throttler: resuming the copy after ${seconds} s paused (${this.#reason})`);
      status?.setThrottled(undefined);
    }
    this.#pausedSince = undefined;
    this.#reason = undefined;
  }

  /** Sleeps one interval, or less if invalidate() wakes it; rejects at once if `signal` aborts. */
  async #pause(signal: AbortSignal): Promise<void> {
    try {
      await sleep(this.#opts.intervalMs, AbortSignal.any([signal, this.#wake.signal]));
    } catch (err) {
      if (signal.aborted) throw err;
    }
  }
}
