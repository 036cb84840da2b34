/**
 * The throttler's thresholds of one migration, read by the load and replica-lag throttlers at each
 * check, so an operator can change them while the copy runs (`migrate ctl max-load=50`,
 * `migration.control.setMaxReplicaLag('5s')`). Registered with the migration's control (Tokens.Control).
 */
import { formatDuration, parseDuration, type ControlRegistry, type SettingValue } from '../../plugin-api.ts';
import { ControlValueError } from '../../plugin-api.ts';
import type { ManualPause } from './manual-pause.ts';

export interface ThrottleLimitValues {
  maxLoad: number;
  criticalLoad: number;
  maxReplicaLagMs: number;
}

/** Most running threads a limit may name (Threads_running cannot exceed max_connections' ceiling). */
const MAX_THREADS_LIMIT = 100_000;

export class ThrottleLimits implements Readonly<ThrottleLimitValues> {
  #values: ThrottleLimitValues;
  readonly #listeners = new Set<() => void>();

  constructor(values: ThrottleLimitValues) {
    this.#values = { ...values };
  }

  get maxLoad(): number { return this.#values.maxLoad; }
  get criticalLoad(): number { return this.#values.criticalLoad; }
  get maxReplicaLagMs(): number { return this.#values.maxReplicaLagMs; }

  /** Changes one limit (validated by the caller) and tells the listeners (the gate re-checks at once). */
  update(change: Partial<ThrottleLimitValues>): void {
    this.#values = { ...this.#values, ...change };
    for (const listener of this.#listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function threadsLimit(name: string, value: SettingValue): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_THREADS_LIMIT) {
    throw new ControlValueError(`${name} must be a whole number of running threads (0 = off), got ${JSON.stringify(value)}: send ${name}=N`);
  }
  return n;
}

/** The throttler's controls: pause, resume, and its limits as settings. */
export function registerThrottleControls(control: ControlRegistry, limits: ThrottleLimits, manual: ManualPause): void {
  control.command({
    name: 'pause',
    description: 'pause the copy before its next chunk (replay goes on); an optional reason follows',
    run(reason) {
      const was = manual.paused;
      manual.pause(reason?.trim() || 'through the control endpoint');
      return was ? 'the copy was already paused (the reason is updated)' : 'the copy pauses before its next chunk; replay goes on';
    },
  });
  control.command({
    name: 'resume',
    description: 'resume the copy after pause (other throttle reasons still apply)',
    run() {
      const was = manual.paused;
      manual.resume();
      return was ? 'the copy resumes (unless another throttle reason holds it)' : 'the copy was not paused by the operator';
    },
  });
  control.setting({
    name: 'paused',
    description: 'whether the operator paused the copy',
    get: () => manual.paused,
  });
  const threads = (name: 'max-load' | 'critical-load', key: 'maxLoad' | 'criticalLoad', what: string) => control.setting({
    name,
    description: what,
    get: () => limits[key],
    set(value) {
      const was = limits[key];
      limits.update({ [key]: threadsLimit(name, value) });
      return `${name}: ${was} -> ${limits[key]}${limits[key] === 0 ? ' (off)' : ''}`;
    },
  });
  threads('max-load', 'maxLoad', 'pause the copy while Threads_running is above it (0: off)');
  threads('critical-load', 'criticalLoad', 'stop the migration, keeping its checkpoint, when Threads_running is above it (0: off)');
  control.setting({
    name: 'max-replica-lag',
    description: 'pause the copy while a replica lags more (a duration: 500ms, 10s)',
    get: () => formatDuration(limits.maxReplicaLagMs),
    set(value) {
      const ms = parseDuration(value);
      if (ms === undefined || ms < 1 || ms > Number.MAX_SAFE_INTEGER || typeof value === 'boolean') {
        throw new ControlValueError(`max-replica-lag must be a duration such as 500ms, 10s or 2m, got ${JSON.stringify(value)}: send max-replica-lag=10s`);
      }
      const was = formatDuration(limits.maxReplicaLagMs);
      limits.update({ maxReplicaLagMs: Math.round(ms) });
      return `max-replica-lag: ${was} -> ${formatDuration(limits.maxReplicaLagMs)}`;
    },
  });
}
