/**
 * Sluice: online schema changes for MySQL and MariaDB.
 *
 *   import { createMigration } from 'sluice';
 *   await using migration = await createMigration({ connection, statement: 'ALTER TABLE orders ADD INDEX …' });
 *   const result = await migration.run();
 */
import 'reflect-metadata';
import type { SluicePlugin } from './core/lifecycle/hooks.ts';
import type { Migration } from './core/lifecycle/migration.ts';
import type { MigrationOptions } from './core/options.ts';
import { buildMigration } from './core/runner/create.ts';
import { cleanupMigration as cleanupTables, type CleanupReport, type CleanupRequest } from './core/cleanup/cleanup.ts';
import { CONNECTION_DEFAULTS } from './core/connection/connection.ts';
import { tlsMode } from './core/connection/tls.ts';
import { formatDuration } from './core/duration.ts';
import { DEFAULT_LOCK_STALL_SECONDS, KILL_AFTER_FRACTION } from './core/blockers/policy.ts';
import { ENGINE_DEFAULTS } from './core/options.ts';
import { checkpointPlugin, DEFAULT_INTERVAL as CHECKPOINT_INTERVAL, DEFAULT_MAX_AGE as CHECKPOINT_MAX_AGE, type CheckpointPluginOptions } from './plugins/checkpoint/index.ts';
import { CHECKSUM_DEFAULTS, checksumPlugin, type ChecksumPluginOptions } from './plugins/checksum/index.ts';
import {
  DEFAULT_HOOK_TIMEOUT_MS, DEFAULT_STATUS_INTERVAL_MS, hooksPlugin, type HooksPluginOptions,
} from './plugins/hooks/index.ts';
import { DEFAULT_METRICS_HOST, metricsPlugin, type MetricsPluginOptions } from './plugins/metrics/index.ts';
import { DEFAULT_REFRESH_MS, lockName, mdlPlugin, type MdlPluginOptions } from './plugins/mdl/index.ts';
import {
  DEFAULT_FAIL_AFTER_MS as THROTTLE_FAIL_AFTER_MS, DEFAULT_INTERVAL_MS as THROTTLE_INTERVAL_MS, DEFAULT_LAG_READ_TIMEOUT_MS, DEFAULT_MAX_REPLICA_LAG_MS, throttlerPlugin,
  type ThrottlerPluginOptions,
} from './plugins/throttler/index.ts';

/** Options of the default plugins (see plugins/*), next to the engine's. */
export interface DefaultPluginOptions {
  /** Verify the shadow table against the source before cutover (default true; see plugins/checksum). */
  checksum?: boolean | ChecksumPluginOptions;
  /** When the copier pauses: replica lag, server load, a pause file, a query (see plugins/throttler). */
  throttle?: ThrottlerPluginOptions;
  /** The per-table advisory lock (see plugins/mdl). */
  lock?: MdlPluginOptions;
  /** Progress saved to `_<table>_chkpnt` and resumed (see plugins/checkpoint). */
  checkpoint?: CheckpointPluginOptions;
  /** Shortcut for checkpoint.strict: every reason a resume is impossible is a typed error, never a fresh start. */
  strict?: boolean;
  /** Serve Prometheus metrics (see plugins/metrics); off unless `port` is given. */
  metrics?: MetricsPluginOptions;
  /** Run gh-ost hooks from a directory (see plugins/hooks); off unless `path` is given. */
  hooks?: HooksPluginOptions;
  /** Leave out default plugins by name, e.g. ['throttler'] (a plugin of yours with the same name replaces one). */
  disablePlugins?: readonly string[];
}

export type SluiceOptions = MigrationOptions & DefaultPluginOptions;

/** Options of a config file (`migrate.config.ts`, `.migraterc.json`, …) for the `migrate` CLI. */
export interface SluiceConfig extends Partial<Omit<SluiceOptions, 'plugins'>> {
  /** Plugins: objects, or module specifiers (resolved from the config file's folder) whose default export is a plugin or a factory. */
  plugins?: ReadonlyArray<SluicePlugin | string>;
}

/** The default plugins, in the order they run (see plugins/). */
export function defaultPlugins(options: SluiceOptions): SluicePlugin[] {
  const checksum = typeof options.checksum === 'object' ? options.checksum : { enabled: options.checksum ?? true };
  const checkpoint = { ...options.checkpoint, ...(options.strict !== undefined ? { strict: options.strict } : {}) };
  const all: SluicePlugin[] = [
    // first, so that it is disposed last: a scrape sees the final values until the migration is disposed
    ...(options.metrics?.port !== undefined ? [metricsPlugin(options.metrics)] : []),
    mdlPlugin(options.lock), checkpointPlugin(checkpoint), throttlerPlugin(options.throttle), checksumPlugin(checksum),
    ...(options.hooks?.path ? [hooksPlugin(options.hooks)] : []),
  ];
  const disabled = new Set(options.disablePlugins ?? []);
  const replaced = new Set((options.plugins ?? []).map((p) => p.name));
  return all.filter((p) => !disabled.has(p.name) && !replaced.has(p.name));
}

/** Creates a migration. Run it with `run()`; dispose it (`await using`) to release everything. */
export async function createMigration(options: SluiceOptions): Promise<Migration> {
  return buildMigration(options, defaultPlugins(options));
}

/**
 * Every option's default, as a config file would write it (what `migrate --help` and
 * `migrate --print-config` show). Options without a default (statement, database, replicas, …) are absent.
 * Defaults that follow another setting (killBlockersAfter is half of lockWaitTimeout) follow `config`'s.
 */
export function configDefaults(config: SluiceConfig = {}): SluiceConfig {
  const lockWaitTimeout = config.lockWaitTimeout ?? ENGINE_DEFAULTS.lockWaitTimeout;
  return {
    connection: { ...CONNECTION_DEFAULTS, ssl: { mode: tlsMode({ ...config.connection?.ssl, mode: undefined }) } } as SluiceConfig['connection'],
    ...ENGINE_DEFAULTS,
    killBlockers: true,
    killBlockersAfter: lockWaitTimeout * KILL_AFTER_FRACTION,
    lockStallTimeout: Math.min(DEFAULT_LOCK_STALL_SECONDS, lockWaitTimeout),
    // the migrate CLI's default (the API's is false: a program has migration.control)
    controlSocket: true,
    checksum: {
      enabled: true, threads: config.threads ?? ENGINE_DEFAULTS.threads, rowsPerChunk: CHECKSUM_DEFAULTS.rowsPerChunk, maxPasses: CHECKSUM_DEFAULTS.maxPasses,
      snapshotMaxAge: formatDuration(CHECKSUM_DEFAULTS.snapshotMaxAgeMs),
    },
    throttle: {
      maxLoad: 0, criticalLoad: 0, maxReplicaLag: formatDuration(DEFAULT_MAX_REPLICA_LAG_MS),
      lagReadTimeout: formatDuration(DEFAULT_LAG_READ_TIMEOUT_MS), interval: formatDuration(THROTTLE_INTERVAL_MS),
      failAfter: formatDuration(THROTTLE_FAIL_AFTER_MS),
    },
    lock: { refreshInterval: formatDuration(DEFAULT_REFRESH_MS) },
    checkpoint: { strict: false, interval: CHECKPOINT_INTERVAL, maxAge: CHECKPOINT_MAX_AGE },
    metrics: { host: DEFAULT_METRICS_HOST } as MetricsPluginOptions,
    hooks: { statusInterval: formatDuration(DEFAULT_STATUS_INTERVAL_MS), timeout: formatDuration(DEFAULT_HOOK_TIMEOUT_MS) } as HooksPluginOptions,
  };
}

/**
 * What an abandoned migration of `table` left behind (shadow, checkpoint, swap tables, the schema's
 * sentinel), and with `apply: true` drops it; refuses while a migration of the table holds its lock
 * (`MigrationRunningError`). See core/cleanup/README.md.
 */
export function cleanupMigration(request: Omit<CleanupRequest, 'lockName'>): Promise<CleanupReport> {
  return cleanupTables({ ...request, lockName });
}
export type { CleanupReport, Leftover, LeftoverKind } from './core/cleanup/cleanup.ts';

/** Types a config file. */
export function defineConfig(config: SluiceConfig): SluiceConfig {
  return config;
}

export * from './plugin-api.ts';
export { Migration } from './core/lifecycle/migration.ts';
export { MigrationControl, type ControlStatus, type ControlReply } from './core/control/control.ts';
export { defaultSocketPath } from './core/control/endpoint.ts';
export * from './core/all-errors.ts';
export { ChecksumCatchUpError, ChecksumLockError, ChecksumMismatchError, ChecksumOptionError, ChecksumSetupError } from './plugins/checksum/index.ts';
export { checksumPlugin, type ChecksumPluginOptions };
export {
  BinlogNotFoundError, CheckpointFormatError, CheckpointMissingError, CheckpointOptionError, CheckpointTooOldError,
  CheckpointWriteError, MismatchedKeyError, MismatchedStatementError, MismatchedTableError, PossiblyCutOverError, ResumeRefusedError,
  ServerChangedError, ShadowTableMissingError,
} from './plugins/checkpoint/index.ts';
export { checkpointPlugin, type CheckpointPluginOptions };
export { LockAcquireError, LockHeldError, LockLostError, MdlOptionError } from './plugins/mdl/index.ts';
export { lockName, mdlPlugin, type MdlPluginOptions };
export {
  CriticalLoadError, NotAReplicaError, ThrottleCheckFailedError, ThrottlerOptionError, ThrottlerUnavailableError, ManualPause, queryThrottler, loadThrottler,
  pauseFileThrottler, replicaLagThrottler, type Throttler, type ThrottleState,
} from './plugins/throttler/index.ts';
export { throttlerPlugin, type ThrottlerPluginOptions };
export { HookFailedError, HooksOptionError } from './plugins/hooks/index.ts';
export { hooksPlugin, type HooksPluginOptions };
export { MetricsOptionError, MetricsServerError } from './plugins/metrics/index.ts';
export { metricsPlugin, type MetricsPluginOptions };
