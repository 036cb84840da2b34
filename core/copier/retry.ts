/**
 * Deadlocks (1213) and lock wait timeouts (1205) are transient: the chunk is retried with
 * exponential backoff, a bounded number of times, then the run fails.
 */
import { sleep } from '../lifecycle/abort.ts';
import { ChunkRetryExhaustedError } from './errors.ts';

export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_LOCK_DEADLOCK = 1213;

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const LOCK_RETRY_POLICY: RetryPolicy = { attempts: 5, baseMs: 100, maxMs: 2000 };

export function isLockConflict(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT;
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1): base·2^(attempt-1), capped, ±25% jitter. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const plain = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(plain * (0.75 + random() * 0.5));
}

/** Runs `fn`, retrying lock conflicts; other errors (and cancellation during backoff) pass through. */
export async function withLockRetry<T>(
  what: string,
  fn: () => Promise<T>,
  signal: AbortSignal,
  policy: RetryPolicy = LOCK_RETRY_POLICY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      if (attempt >= policy.attempts) throw new ChunkRetryExhaustedError(what, attempt, err);
      await sleep(backoffMs(attempt, policy), signal);
    }
  }
}
