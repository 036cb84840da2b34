/**
 * Lock conflicts (deadlock 1213, lock wait timeout 1205, NOWAIT refusal 3572) are transient: the
 * caller rolls back, backs off (jittered exponential) and retries, on a smaller piece of work.
 * Retries are bounded by time without progress (minutes), not by a count: a busy table makes the
 * copy slower, never makes it fail, unless no piece at all could be copied for that long.
 */
import { formatDuration } from '../duration.ts';
import { sleep } from '../lifecycle/abort.ts';
import { ChunkRetryExhaustedError } from './errors.ts';

export { ER_LOCK_DEADLOCK, ER_LOCK_NOWAIT, ER_LOCK_WAIT_TIMEOUT, isLockConflict } from './locking.ts';

export interface RetryPolicy {
  /** Give up after conflicts without any progress for this long. */
  readonly timeoutMs: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_LOCK_CONFLICT_TIMEOUT_MS = 300_000;
export const LOCK_RETRY_POLICY: RetryPolicy = { timeoutMs: DEFAULT_LOCK_CONFLICT_TIMEOUT_MS, baseMs: 1, maxMs: 20 };

/** Backoff before attempt `attempt + 1` (attempt counts from 1): base·2^(attempt-1), capped, ±25% jitter. */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number = Math.random): number {
  const plain = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, attempt - 1));
  return Math.round(plain * (0.75 + random() * 0.5));
}

/** Conflicts since the last progress of one piece of work, and the time bound on them. */
export class ConflictBackoff {
  #attempts = 0;
  #since: number;

  constructor(
    private readonly what: string,
    private readonly policy: RetryPolicy,
    private readonly signal: AbortSignal,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#since = now();
  }

  get attempts(): number {
    return this.#attempts;
  }

  /** Work got done: the time bound starts again. */
  progress(): void {
    this.#attempts = 0;
    this.#since = this.now();
  }

  /** After a conflict: throws ChunkRetryExhaustedError past the time bound, else sleeps (abortable). */
  async conflict(err: unknown): Promise<void> {
    this.#attempts++;
    const elapsed = this.now() - this.#since;
    if (elapsed >= this.policy.timeoutMs) throw new ChunkRetryExhaustedError(this.what, this.#attempts, formatDuration(elapsed), err);
    await sleep(backoffMs(this.#attempts, this.policy), this.signal);
  }
}
