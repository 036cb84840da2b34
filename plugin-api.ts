/**
 * The public plugin API: everything a plugin may use of Sluice. The default plugins in plugins/
 * import only this module (and their own npm dependencies), exactly like a team's own plugin.
 * mod.ts re-exports all of it.
 */
export { definePlugin, HOOK_NAMES } from './core/lifecycle/hooks.ts';
export type { SluicePlugin, PluginHooks, HookName } from './core/lifecycle/hooks.ts';
export type { PluginContext, Logger } from './core/lifecycle/context.ts';
export { Tokens } from './core/tokens.ts';
export type { MigrationTarget, ShadowInfo, ReplayControl, CopyControl, RunStatus } from './core/tokens.ts';
export { token, type Token } from './core/container/tokens.ts';
export { sleep, throwIfAborted } from './core/lifecycle/abort.ts';
export { RateMeter, type RateReading } from './core/lifecycle/rate.ts';
export { SluiceError, MigrationCancelledError, InvalidOptionError, isCancellation } from './core/errors.ts';
export { openConnection, queryRows, currentBinlogPosition, compareBinlogPositions, driverOptions, describeConnection } from './core/connection/connection.ts';
export type { ConnectionOptions, Queryable, ServerFlavor, SessionSettings } from './core/connection/connection.ts';
export type { TlsMode, TlsOptions } from './core/connection/tls.ts';
export { checkpointTableName, shadowTableName, oldTableName, CUTOVER_SENTINEL_TABLE } from './core/table/names.ts';
export { swapTableNames } from './core/cutover/names.ts';
export { SourceTableChangedError } from './core/replay/errors.ts';
export type { ResolvedOptions, MigrationOptions } from './core/options.ts';
export type * from './core/types.ts';
export { CUT_OVER_PHASE } from './core/types.ts';
export type { TableInfo, TableKey, ColumnInfo, IndexInfo, ColumnMapping } from './core/table/types.ts';
export { tableKey } from './core/table/key.ts';
export { parseDuration, durationOption, formatDuration } from './core/duration.ts';
export { qualifiedName, oneLine } from './core/format.ts';
export { redactText } from './core/lifecycle/redact.ts';
export { LockBlockedError, ReplayLagError } from './core/blockers/errors.ts';
export type { ControlRegistry, ControlSetting, ControlCommand, SettingValue } from './core/control/registry.ts';
export { ControlValueError } from './core/control/errors.ts';
export type { TableLocks, TableLockRequest, TableLockSpec, TableLockMode, LockGrant, LockPolicy, Blocker } from './core/blockers/types.ts';
