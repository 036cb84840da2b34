/**
 * Replica lag: pause while any replica is more than `maxLagMs` behind or not replicating at all.
 * Fails closed: a replica whose lag cannot be read pauses the copy once it has been unreadable for
 * `readTimeoutMs` (until then its last reading stands). Replicas are named user@host:port.
 */
import type { LagReading } from './replica-status.ts';
import { describe } from './composite.ts';
import { NOT_THROTTLED, type ThrottleState, type Throttler } from './types.ts';

/** Where one replica's lag comes from (the real one is a ServerConnection; tests pass fakes). */
export interface LagSource {
  readonly label: string;
  read(): Promise<LagReading>;
  close?(): Promise<void>;
}

export interface ReplicaLagOptions {
  maxLagMs: number;
  /** How long a replica may stay unreadable before the copy pauses for it. */
  readTimeoutMs: number;
  now?: () => number;
}

interface Track {
  lastOk: number;
  last: LagReading | undefined;
}

export class ReplicaLagThrottler implements Throttler {
  readonly name = 'replica-lag';
  readonly #sources: readonly LagSource[];
  readonly #opts: ReplicaLagOptions;
  readonly #now: () => number;
  #tracks: Track[] | undefined;

  constructor(sources: readonly LagSource[], opts: ReplicaLagOptions) {
    this.#sources = [...sources];
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** The grace period of an unreadable replica counts from here (or from the first check). */
  open(): void {
    const t = this.#now();
    this.#tracks = this.#sources.map(() => ({ lastOk: t, last: undefined }));
  }

  async check(): Promise<ThrottleState> {
    if (!this.#tracks) this.open();
    const tracks = this.#tracks!;
    const results = await Promise.allSettled(this.#sources.map((s) => s.read()));
    const now = this.#now();
    const reasons: string[] = [];
    const failing: string[] = [];
    results.forEach((r, i) => {
      const track = tracks[i]!;
      const label = `replica ${this.#sources[i]!.label}`;
      if (r.status === 'fulfilled') {
        track.lastOk = now;
        track.last = r.value;
        const lagging = this.#lagging(r.value);
        if (lagging) reasons.push(`${label} ${lagging}`);
        return;
      }
      const unreadableMs = now - track.lastOk;
      failing.push(`${label} unreadable (${describe(r.reason)})`);
      if (unreadableMs >= this.#opts.readTimeoutMs) {
        reasons.push(`${label} unreachable for ${(unreadableMs / 1000).toFixed(1)} s (${describe(r.reason)})`);
        return;
      }
      const lagging = track.last && this.#lagging(track.last);
      if (lagging) reasons.push(`${label} ${lagging} (last reading; now unreadable)`);
    });
    const failed = failing.length > 0 ? { failing: failing.join('; ') } : {};
    if (reasons.length > 0) return { throttled: true, reason: reasons.join('; '), ...failed };
    return failing.length > 0 ? { throttled: false, ...failed } : NOT_THROTTLED;
  }

  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const s of this.#sources) {
      try {
        await s.close?.();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  /** Why the reading is too far behind, or undefined when it is fine. */
  #lagging(reading: LagReading): string | undefined {
    if (reading.seconds === null) return `is ${reading.detail}`;
    if (reading.seconds * 1000 > this.#opts.maxLagMs) return `lags ${reading.seconds} s (max ${this.#opts.maxLagMs / 1000} s)`;
    return undefined;
  }
}
