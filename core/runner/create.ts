/** Builds a migration: its container, its plugins (defaults first, then the caller's) and the engine phases. */
import { MigrationContainer } from '../container/container.ts';
import type { SluicePlugin } from '../lifecycle/hooks.ts';
import { Migration } from '../lifecycle/migration.ts';
import { resolveOptions, type MigrationOptions } from '../options.ts';
import { Tokens } from '../tokens.ts';
import { ControlTable } from '../control/registry.ts';
import { ENGINE_PHASES } from './phases.ts';
import { engineControl } from './control.ts';
import { ControlToken, RunState, RunStateToken } from './state.ts';

export function buildMigration(options: MigrationOptions, defaultPlugins: readonly SluicePlugin[] = []): Migration {
  const resolved = resolveOptions(options);
  const container = new MigrationContainer();
  container.provide(Tokens.Options, resolved);
  container.provide(Tokens.Connection, resolved.connection);
  const state = new RunState(resolved);
  container.provide(RunStateToken, state);
  container.provide(Tokens.Status, { setThrottled: (reason) => { state.throttled = reason; } });
  const table = new ControlTable();
  container.provide(Tokens.Control, table);
  let migration: Migration | undefined;
  const control = engineControl(table, state, container, resolved, (reason) => migration?.cancel(reason));
  container.provide(ControlToken, control);
  migration = new Migration({
    phases: ENGINE_PHASES,
    plugins: [...defaultPlugins, ...resolved.plugins],
    container,
    control,
    secrets: resolved.connection.password ? [resolved.connection.password] : [],
  });
  return migration;
}
