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
}

export interface LoadSummary {
  ops: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** Of those, the application's deadlocks (ER_LOCK_DEADLOCK, 1213) and lock wait timeouts (ER_LOCK_WAIT_TIMEOUT, 1205): goal 0. */
  deadlocks: number;
  lockWaits: number;
  /** Error count by "CODE: message", most frequent first (at most 5). */
  errorKinds: Array<{ error: string; count: number }>;
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
    deadlocks: samples.filter((s) => s.error?.startsWith('ER_LOCK_DEADLOCK')).length,
    lockWaits: samples.filter((s) => s.error?.startsWith('ER_LOCK_WAIT_TIMEOUT')).length,
    errorKinds: [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([error, count]) => ({ error, count })),
  };
}

/** The samples due within [from, to]. */
export function within(samples: readonly Sample[], from: number, to: number): Sample[] {
  return samples.filter((s) => s.due >= from && s.due <= to);
}
