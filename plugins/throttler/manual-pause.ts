/**
 * A pause an operator sets while the migration runs (the CLI's interactive control uses it). The
 * plugin provides one per migration under the ManualPause token in `setup`:
 *
 *   ctx.resolve(ManualPause).pause('backup running'); … ctx.resolve(ManualPause).resume();
 */
import { token } from '../../plugin-api.ts';
import { NOT_THROTTLED, type ThrottleState, type Throttler } from './types.ts';

export interface ManualPause {
  /** Pauses the copy (replay continues) before its next chunk. */
  pause(reason?: string): void;
  resume(): void;
  readonly paused: boolean;
  readonly reason: string | undefined;
}

/** Resolve it from a plugin hook (available from the throttler's setup on). */
export const ManualPause = token<ManualPause>('throttler:manual-pause');

export class ManualPauseHandle implements ManualPause {
  #paused = false;
  #reason: string | undefined;
  readonly #listeners = new Set<() => void>();

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): string | undefined {
    return this.#reason;
  }

  pause(reason?: string): void {
    this.#paused = true;
    this.#reason = reason;
    this.#changed();
  }

  resume(): void {
    this.#paused = false;
    this.#reason = undefined;
    this.#changed();
  }

  /** Calls `listener` on every pause/resume; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

export function manualPauseThrottler(handle: Pick<ManualPause, 'paused' | 'reason'>): Throttler {
  return {
    name: 'manual',
    async check(): Promise<ThrottleState> {
      if (!handle.paused) return NOT_THROTTLED;
      return { throttled: true, reason: `paused by the operator${handle.reason ? `: ${handle.reason}` : ''}` };
    },
  };
}
