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
import { checkpointPlugin, type CheckpointPluginOptions } from './plugins/checkpoint/index.ts';
import { checksumPlugin, type ChecksumPluginOptions } from './plugins/checksum/index.ts';
import { mdlPlugin, type MdlPluginOptions } from './plugins/mdl/index.ts';
import { throttlerPlugin, type ThrottlerPluginOptions } from './plugins/throttler/index.ts';

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
    mdlPlugin(options.lock), checkpointPlugin(checkpoint), throttlerPlugin(options.throttle), checksumPlugin(checksum),
  ];
  const disabled = new Set(options.disablePlugins ?? []);
  const replaced = new Set((options.plugins ?? []).map((p) => p.name));
  return all.filter((p) => !disabled.has(p.name) && !replaced.has(p.name));
}

/** Creates a migration. Run it with `run()`; dispose it (`await using`) to release everything. */
export async function createMigration(options: SluiceOptions): Promise<Migration> {
  return buildMigration(options, defaultPlugins(options));
}

/** Types a config file. */
export function defineConfig(config: SluiceConfig): SluiceConfig {
  return config;
}

export * from './plugin-api.ts';
export { Migration } from './core/lifecycle/migration.ts';
export * from './core/all-errors.ts';
export { ChecksumCatchUpError, ChecksumLockError, ChecksumMismatchError, ChecksumOptionError, ChecksumSetupError } from './plugins/checksum/index.ts';
export { checksumPlugin, type ChecksumPluginOptions };
export {
  BinlogNotFoundError, CheckpointFormatError, CheckpointMissingError, CheckpointOptionError, CheckpointTooOldError,
  CheckpointWriteError, MismatchedStatementError, MismatchedTableError, ResumeRefusedError, ShadowTableMissingError,
} from './plugins/checkpoint/index.ts';
export { checkpointPlugin, type CheckpointPluginOptions };
export { LockAcquireError, LockHeldError, LockLostError, MdlOptionError } from './plugins/mdl/index.ts';
export { mdlPlugin, type MdlPluginOptions };
export {
  CriticalLoadError, NotAReplicaError, ThrottlerOptionError, ManualPause, queryThrottler, loadThrottler,
  pauseFileThrottler, replicaLagThrottler, type Throttler, type ThrottleState,
} from './plugins/throttler/index.ts';
export { throttlerPlugin, type ThrottlerPluginOptions };
export { redactText } from './core/lifecycle/redact.ts';
