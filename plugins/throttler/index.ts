/**
 * The throttler plugin: pauses the copier — never the replay — while the replicas lag, the source
 * is loaded, an operator asked for a pause, or a custom check says so; stops the migration on
 * critical load. It only acts in `beforeChunk` and `beforeCutover`. See README.md.
 */
import { definePlugin, durationOption, token, Tokens, type PluginContext, type SluicePlugin } from '../../plugin-api.ts';
import { CompositeThrottler } from './composite.ts';
import { ThrottlerOptionError, ThrottlerUnavailableError } from './errors.ts';
import { ThrottleGate } from './gate.ts';
import { loadThrottler } from './load.ts';
import { ManualPause, ManualPauseHandle, manualPauseThrottler } from './manual-pause.ts';
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

  /** The throttlers of one migration (fresh objects per migration, except the caller's own). */
  const build = (manual: ManualPause): Throttler[] => [
    manualPauseThrottler(manual),
    ...(options.pauseFile ? [pauseFileThrottler(options.pauseFile)] : []),
    ...(maxLoad > 0 || criticalLoad > 0 ? [loadThrottler({ maxLoad, criticalLoad })] : []),
    ...(replicas.length > 0 ? [replicaLagThrottler({ replicas, maxReplicaLagMs, lagReadTimeoutMs })] : []),
    ...(options.throttleQuery ? [queryThrottler({ query: options.throttleQuery, name: 'throttleQuery' })] : []),
    ...(options.throttlers ?? []),
  ];

  return definePlugin({
    name: 'throttler',
    setup(ctx: PluginContext) {
      ctx.provide(ManualPause, new ManualPauseHandle());
    },
    // Before anything is created: open every throttler and check once; one that cannot be checked refuses the run.
    async preflight(ctx: PluginContext) {
      const manual = ctx.resolve(ManualPause);
      const composite = new CompositeThrottler(build(manual));
      const gate = new ThrottleGate({ throttler: composite, intervalMs, failAfterMs, log: ctx.log, status: ctx.tryResolve(Tokens.Status) });
      const unsubscribe = manual instanceof ManualPauseHandle ? manual.onChange(() => gate.invalidate()) : () => {};
      await ctx.defer('throttler', async () => {
        unsubscribe();
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
      await ctx.tryResolve(GateToken)?.wait(ctx.signal);
    },
  });
}
