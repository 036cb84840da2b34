/** Summaries of the load's samples: latency percentiles and errors, over its life or a time window. */
import { percentile } from './stats.ts';
import type { OpKind } from './load-mix.ts';

export interface Sample {
  /** When the operation was due (epoch ms). */
  due: number;
  /** From due to done: includes waiting behind a stalled earlier operation. */
  latencyMs: number;
  /** From issued to done. */
  serviceMs: number;
  kind: OpKind;
  error?: string;
  /** The server's error number of `error` (1213 deadlock, 1205 lock wait timeout, …), when it had one. */
  errno?: number;
}

/** The application's lock errors, by server error number. */
export const ER_LOCK_DEADLOCK = 1213;
export const ER_LOCK_WAIT_TIMEOUT = 1205;

export interface LoadSummary {
  ops: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** Of those, the application's deadlocks (ER_LOCK_DEADLOCK, 1213) and lock wait timeouts (ER_LOCK_WAIT_TIMEOUT, 1205): goal 0. */
  deadlocks: number;
  lockWaits: number;
  /** Error count by server error number ("1213", "1205", …; "client" for errors without one, e.g. a lost connection). */
  errorsByCode: Record<string, number>;
  /**
   * The longest write stall (ms): the longest span during which at least one write was due and
   * none completed. Unlike the largest latency it does not grow when the load merely falls behind
   * (each write then waits only for the one before), and it covers a run of failed writes.
   */
  longestStallMs: number;
  /** Error count by "CODE: message", most frequent first (at most 5). */
  errorKinds: Array<{ error: string; count: number }>;
}

const isDeadlock = (s: Sample) => s.errno === ER_LOCK_DEADLOCK || (s.errno === undefined && !!s.error?.startsWith('ER_LOCK_DEADLOCK'));
const isLockWait = (s: Sample) => s.errno === ER_LOCK_WAIT_TIMEOUT || (s.errno === undefined && !!s.error?.startsWith('ER_LOCK_WAIT_TIMEOUT'));

/** The longest time with a write due and none completing (see LoadSummary.longestStallMs). */
export function longestStall(samples: readonly Sample[]): number {
  const done = samples.map((s) => ({ due: s.due, end: s.due + s.latencyMs })).sort((a, b) => a.end - b.end);
  // The earliest due time among the writes not yet done when done[i] completes (a suffix minimum).
  const pendingDue = new Array<number>(done.length);
  for (let i = done.length - 1, m = Infinity; i >= 0; i--) pendingDue[i] = m = Math.min(m, done[i]!.due);
  let longest = 0;
  for (let i = 0; i < done.length; i++) {
    const since = Math.max(i > 0 ? done[i - 1]!.end : -Infinity, pendingDue[i]!);
    longest = Math.max(longest, done[i]!.end - since);
  }
  return longest;
}

/** Error counts by server error number ("client" when the error had none). */
export function errorsByCode(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (!s.error) continue;
    const code = s.errno === undefined ? codeOf(s.error) : String(s.errno);
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
}

/** Samples recorded before errno was kept: the code name maps back to the lock errors' numbers. */
function codeOf(error: string): string {
  if (error.startsWith('ER_LOCK_DEADLOCK')) return String(ER_LOCK_DEADLOCK);
  if (error.startsWith('ER_LOCK_WAIT_TIMEOUT')) return String(ER_LOCK_WAIT_TIMEOUT);
  return 'client';
}

export function summarize(samples: readonly Sample[]): LoadSummary {
  const lat = samples.map((s) => s.latencyMs);
  const kinds = new Map<string, number>();
  for (const s of samples) if (s.error) kinds.set(s.error, (kinds.get(s.error) ?? 0) + 1);
  return {
    ops: samples.length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat.length ? lat.reduce((a, b) => Math.max(a, b), -Infinity) : Number.NaN,
    errors: samples.filter((s) => s.error).length,
    deadlocks: samples.filter(isDeadlock).length,
    lockWaits: samples.filter(isLockWait).length,
    errorsByCode: errorsByCode(samples),
    longestStallMs: longestStall(samples),
    errorKinds: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([error, count]) => ({ error, count })),
  };
}

/** The samples due within [from, to]. */
export function within(samples: readonly Sample[], from: number, to: number): Sample[] {
  return samples.filter((s) => s.due >= from && s.due <= to);
}
