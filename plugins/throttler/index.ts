/**
 * The throttler plugin: pauses the copier — never the replay — while the replicas lag, the source
 * is loaded, an operator asked for a pause, or a custom check says so; stops the migration on
 * critical load. It only acts in `beforeChunk` and `beforeCutover`. See README.md.
 */
import { definePlugin, durationOption, formatDuration, token, Tokens, type PluginContext, type SluicePlugin, type TlsOptions } from '../../plugin-api.ts';
import { CompositeThrottler } from './composite.ts';
import { ThrottlerOptionError, ThrottlerUnavailableError } from './errors.ts';
import { ThrottleGate } from './gate.ts';
import { loadThrottler } from './load.ts';
import { ManualPause, ManualPauseHandle, manualPauseThrottler } from './manual-pause.ts';
import { registerThrottleControls, ThrottleLimits } from './limits.ts';
import { pauseFileThrottler } from './pause-file.ts';
import { queryThrottler } from './query.ts';
import { replicaAddresses, replicaLagThrottler, DEFAULT_LAG_READ_TIMEOUT_MS, DEFAULT_MAX_REPLICA_LAG_MS } from './replicas.ts';
import type { Throttler } from './types.ts';

export { CriticalLoadError, NotAReplicaError, ThrottleCheckFailedError, ThrottlerOptionError, ThrottlerUnavailableError } from './errors.ts';
export type { ThrottleState, Throttler } from './types.ts';
export { NOT_THROTTLED } from './types.ts';
export { CompositeThrottler } from './composite.ts';
export { ThrottleGate, type GateOptions } from './gate.ts';
export { ManualPause, ManualPauseHandle, manualPauseThrottler } from './manual-pause.ts';
export { ThrottleLimits, type ThrottleLimitValues } from './limits.ts';
export { loadThrottler, readThreadsRunning, type LoadThrottlerOptions } from './load.ts';
export { pauseFileThrottler } from './pause-file.ts';
export { queryThrottler, type QueryThrottlerOptions } from './query.ts';
export { replicaLagThrottler, DEFAULT_LAG_READ_TIMEOUT_MS, DEFAULT_MAX_REPLICA_LAG_MS, type ReplicaLagThrottlerOptions } from './replicas.ts';
export { ReplicaLagThrottler, type LagSource, type ReplicaLagOptions } from './replica-lag.ts';
export { readReplicaLag, type LagReading } from './replica-status.ts';
export { parseDsn, maskDsn } from './dsn.ts';

export interface ThrottlerPluginOptions {
  /** Pause while the source's Threads_running is above this (0/undefined: off). */
  maxLoad?: number;
  /** Stop the migration with CriticalLoadError when Threads_running is above this (0/undefined: off). */
  criticalLoad?: number;
  /** Replicas to watch: `mysql://user:password@host:port`. */
  replicas?: readonly string[];
  /** Pause while a replica is further behind than this: ms or '10s' (default 10 s). */
  maxReplicaLag?: number | string;
  /** Pause when a replica's lag has been unreadable this long (fail closed): ms or '10s' (default 10 s). */
  lagReadTimeout?: number | string;
  /** Pause while this file exists. */
  pauseFile?: string;
  /** Pause while this query's first column is non-zero (run on the migration's pool). */
  throttleQuery?: string;
  /** Your own throttlers, consulted with the built-in ones. */
  throttlers?: readonly Throttler[];
  /** How often the throttlers are checked, and polled while paused: ms or '1s' (default 1 s). */
  interval?: number | string;
  /** Stop the migration (keeping its checkpoint) when checks keep failing this long: ms or '5m' (default 5 min). */
  failAfter?: number | string;
}

export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_FAIL_AFTER_MS = 5 * 60_000;

function limit(name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ThrottlerOptionError(`${name} must be a whole number of running threads (0 = off), got ${JSON.stringify(value)}: fix ${name}`);
  }
  return value;
}

export function throttlerPlugin(options: ThrottlerPluginOptions = {}): SluicePlugin {
  const maxLoad = limit('maxLoad', options.maxLoad);
  const criticalLoad = limit('criticalLoad', options.criticalLoad);
  const fail = (m: string) => new ThrottlerOptionError(m);
  const intervalMs = durationOption('interval', options.interval, DEFAULT_INTERVAL_MS, fail);
  const maxReplicaLagMs = durationOption('maxReplicaLag', options.maxReplicaLag, DEFAULT_MAX_REPLICA_LAG_MS, fail);
  const lagReadTimeoutMs = durationOption('lagReadTimeout', options.lagReadTimeout, DEFAULT_LAG_READ_TIMEOUT_MS, fail);
  const failAfterMs = durationOption('failAfter', options.failAfter, DEFAULT_FAIL_AFTER_MS, fail);
  const replicas = options.replicas ?? [];
  if (!Array.isArray(replicas)) throw new ThrottlerOptionError('replicas must be a list of mysql://user:password@host:port DSNs: fix replicas');
  replicaAddresses(replicas); // refuse a bad DSN now, before anything runs
  if (options.throttleQuery !== undefined) queryThrottler({ query: options.throttleQuery });
  for (const [i, t] of (options.throttlers ?? []).entries()) {
    if (!t || typeof t.check !== 'function') throw new ThrottlerOptionError(`throttlers[${i}] has no check() method: pass objects implementing Throttler`);
  }

  // Per plugin instance, stored in each migration's container.
  const GateToken = token<ThrottleGate>('throttler:gate');
  const LimitsToken = token<ThrottleLimits>('throttler:limits');

  /**
   * The throttlers of one migration (fresh objects per migration, except the caller's own). The load
   * throttler is always there (it reads nothing while both limits are 0): an operator may set one
   * while the copy runs.
   */
  const build = (manual: ManualPause, limits: ThrottleLimits, ssl: TlsOptions | undefined): Throttler[] => [
    manualPauseThrottler(manual),
    ...(options.pauseFile ? [pauseFileThrottler(options.pauseFile)] : []),
    loadThrottler(limits),
    ...(replicas.length > 0 ? [replicaLagThrottler({ replicas, get maxReplicaLagMs() { return limits.maxReplicaLagMs; }, lagReadTimeoutMs, ssl })] : []),
    ...(options.throttleQuery ? [queryThrottler({ query: options.throttleQuery, name: 'throttleQuery' })] : []),
    ...(options.throttlers ?? []),
  ];

  return definePlugin({
    name: 'throttler',
    settings: {
      maxLoad, criticalLoad, replicas: replicaAddresses(replicas).map((r) => r.label),
      ...(replicas.length > 0 ? { maxReplicaLag: formatDuration(maxReplicaLagMs), lagReadTimeout: formatDuration(lagReadTimeoutMs) } : {}),
      ...(options.pauseFile ? { pauseFile: options.pauseFile } : {}),
      ...(options.throttleQuery ? { throttleQuery: options.throttleQuery } : {}),
      ...(options.throttlers?.length ? { throttlers: options.throttlers.map((t) => t.name ?? '(unnamed)') } : {}),
      interval: formatDuration(intervalMs), failAfter: formatDuration(failAfterMs),
    },
    setup(ctx: PluginContext) {
      const manual = new ManualPauseHandle();
      const limits = new ThrottleLimits({ maxLoad, criticalLoad, maxReplicaLagMs });
      ctx.provide(ManualPause, manual);
      ctx.provide(LimitsToken, limits);
      const control = ctx.tryResolve(Tokens.Control);
      if (control) registerThrottleControls(control, limits, manual);
    },
    // Before anything is created: open every throttler and check once; one that cannot be checked refuses the run.
    async preflight(ctx: PluginContext) {
      const manual = ctx.resolve(ManualPause);
      const limits = ctx.resolve(LimitsToken);
      // replicas take the main connection's TLS settings unless their DSN says otherwise
      const composite = new CompositeThrottler(build(manual, limits, ctx.resolve(Tokens.Connection).ssl));
      const gate = new ThrottleGate({ throttler: composite, intervalMs, failAfterMs, log: ctx.log, status: ctx.tryResolve(Tokens.Status) });
      // a pause, a resume or a new limit takes effect at once, not after the cached check expires
      const unsubscribe = manual instanceof ManualPauseHandle ? manual.onChange(() => gate.invalidate()) : () => {};
      const unsubscribeLimits = limits.onChange(() => gate.invalidate());
      await ctx.defer('throttler', async () => {
        unsubscribe();
        unsubscribeLimits();
        await gate.idle();
        await composite.dispose();
      });
      await composite.open(ctx);
      const first = await composite.check();
      if (first.failing) throw new ThrottlerUnavailableError(first.failing);
      ctx.provide(GateToken, gate);
      ctx.log.debug(`throttler: ${composite.size} throttler(s), checked every ${intervalMs} ms`);
    },
    async beforeChunk(ctx: PluginContext) {
      await ctx.tryResolve(GateToken)?.wait(ctx.signal);
    },
    // The cutover waits like a chunk: a replica still applying the deferred index build (one DDL,
    // applied serially) or any other pause holds the swap until it has caught up.
    async beforeCutover(ctx: PluginContext) {
      const gate = ctx.tryResolve(GateToken);
      gate?.invalidate(); // the swap rests on a reading taken now, not on one cached or in flight from the copy
      await gate?.wait(ctx.signal);
    },
  });
}
