/**
 * The mdl plugin: one migration per table. It takes an advisory lock named after the table in
 * `preflight` (before anything is created), keeps it for the whole run, and releases it explicitly
 * before the migration's dispose returns. See README.md.
 */
import mysql from 'mysql2/promise';
import { definePlugin, durationOption, formatDuration, token, Tokens, type PluginContext, type SluicePlugin } from '../../plugin-api.ts';
import { MdlOptionError } from './errors.ts';
import { lockName } from './lock-name.ts';
import { TableLock } from './table-lock.ts';

export { LockAcquireError, LockHeldError, LockLostError, MdlOptionError } from './errors.ts';
export { lockName, MAX_LOCK_NAME_LENGTH } from './lock-name.ts';

export interface MdlPluginOptions {
  /** How often the lock is checked, and taken again after a lost connection: ms, or '30s', '2m' (default 60 s). */
  refreshInterval?: number | string;
}

export const DEFAULT_REFRESH_MS = 60_000;

export function mdlPlugin(options: MdlPluginOptions = {}): SluicePlugin {
  const refreshMs = durationOption('refreshInterval', options.refreshInterval, DEFAULT_REFRESH_MS, (m) => new MdlOptionError(m));
  // One token per plugin instance: the lock lives in the migration's container, so an instance
  // used by several migrations keeps one lock per migration.
  const LockToken = token<TableLock>('mdl:lock');
  const lockOf = (ctx: PluginContext) => ctx.tryResolve(LockToken);

  return definePlugin({
    name: 'mdl',
    settings: { refreshInterval: formatDuration(refreshMs) },
    async preflight(ctx) {
      const { schema, table } = ctx.resolve(Tokens.Target);
      const lock = new TableLock({
        connection: ctx.resolve(Tokens.Connection),
        session: ctx.resolve(Tokens.Options).session,
        name: lockName(schema, table),
        table: `${mysql.escapeId(schema)}.${mysql.escapeId(table)}`,
        refreshMs,
        log: ctx.log,
      });
      // Registered before the connection opens: release() is a no-op until something is acquired.
      await ctx.defer('mdl lock', () => lock.release());
      ctx.provide(LockToken, lock);
      await lock.acquire();
      ctx.log.debug(`mdl: holding the lock ${lock.name} on connection ${lock.connectionId}`);
    },
    beforeChunk(ctx) { lockOf(ctx)?.throwIfLost(); },
    progress(ctx) { lockOf(ctx)?.throwIfLost(); },
    afterCopy(ctx) { lockOf(ctx)?.throwIfLost(); },
    verify(ctx) { lockOf(ctx)?.throwIfLost(); },
    async beforeCutover(ctx) { await lockOf(ctx)?.confirm(); },
  });
}
