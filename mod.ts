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

/** Options of a config file (`migrate.config.ts`, `.migraterc.json`, …) for the `migrate` CLI. */
export interface SluiceConfig extends Partial<Omit<MigrationOptions, 'plugins'>> {
  /** Plugins: objects, or module specifiers (resolved from the config file's folder) whose default export is a plugin or a factory. */
  plugins?: ReadonlyArray<SluicePlugin | string>;
}

/** The plugins every migration gets unless replaced; see plugins/. */
export function defaultPlugins(): SluicePlugin[] {
  return [];
}

/** Creates a migration. Run it with `run()`; dispose it (`await using`) to release everything. */
export async function createMigration(options: MigrationOptions): Promise<Migration> {
  return buildMigration(options, defaultPlugins());
}

/** Types a config file. */
export function defineConfig(config: SluiceConfig): SluiceConfig {
  return config;
}

export { definePlugin, HOOK_NAMES } from './core/lifecycle/hooks.ts';
export type { SluicePlugin, PluginHooks, HookName } from './core/lifecycle/hooks.ts';
export type { PluginContext, Logger } from './core/lifecycle/context.ts';
export { Migration } from './core/lifecycle/migration.ts';
export type { MigrationOptions, ResolvedOptions } from './core/options.ts';
export type { ConnectionOptions } from './core/connection/connection.ts';
export { Tokens } from './core/tokens.ts';
export type { MigrationTarget, ShadowInfo, ReplayControl, CopyControl } from './core/tokens.ts';
export { token, type Token } from './core/container/tokens.ts';
export { sleep, throwIfAborted } from './core/lifecycle/abort.ts';
export type * from './core/types.ts';
export type { TableInfo, ColumnInfo, IndexInfo, ColumnMapping } from './core/table/types.ts';
export * from './core/all-errors.ts';
