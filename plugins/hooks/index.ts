/**
 * The gh-ost hooks plugin: executables from a hooks directory at gh-ost's hook points, with its
 * environment variables (README.md has the mapping).
 *
 *   createMigration({ connection, statement, hooks: { path: './hooks' } })   // or --hooks-path ./hooks
 */
import { hostname } from 'node:os';
import {
  definePlugin, durationOption, formatDuration, oldTableName, oneLine, redactText, shadowTableName, Tokens,
  type PluginContext, type ProgressSnapshot, type SluicePlugin,
} from '../../plugin-api.ts';
import { HooksOptionError } from './errors.ts';
import { runHook } from './run.ts';

export { HookFailedError, HooksOptionError } from './errors.ts';
export { hookFiles } from './run.ts';

export interface HooksPluginOptions {
  /** The hooks directory (gh-ost's --hooks-path). Required. */
  path: string;
  /** Copied into GH_OST_HOOKS_HINT (gh-ost's --hooks-hint). */
  hint?: string;
  /** Copied into GH_OST_HOOKS_HINT_OWNER (gh-ost's --hooks-hint-owner). */
  hintOwner?: string;
  /** Copied into GH_OST_HOOKS_HINT_TOKEN (gh-ost's --hooks-hint-token); hidden by --print-config. */
  hintToken?: string;
  /** How often gh-ost-on-status runs: ms or '60s' (default 60 s). */
  statusInterval?: number | string;
  /** The longest one hook may run: ms or '5m' (default 5 min); then it is killed and counts as failed. */
  timeout?: number | string;
}

export const DEFAULT_STATUS_INTERVAL_MS = 60_000;
export const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;

export function hooksPlugin(options: HooksPluginOptions): SluicePlugin {
  if (!options || typeof options.path !== 'string' || options.path === '') {
    throw new HooksOptionError('the hooks plugin needs the hooks directory: pass --hooks-path DIR (or hooks.path)');
  }
  const fail = (m: string) => new HooksOptionError(m);
  const statusMs = durationOption('hooks statusInterval (--hooks-status-interval)', options.statusInterval, DEFAULT_STATUS_INTERVAL_MS, fail);
  const timeoutMs = durationOption('hooks timeout (--hooks-timeout)', options.timeout, DEFAULT_HOOK_TIMEOUT_MS, fail);
  const startedAt = Date.now();
  let copyStartedAt: number | undefined;
  let last: ProgressSnapshot | undefined;
  let lastStatusAt = Date.now();
  let status: Promise<void> | undefined;
  let postponedTold = false;

  const env = (ctx: PluginContext, extra: Record<string, string> = {}): Record<string, string> => {
    const target = ctx.tryResolve(Tokens.Target);
    const conn = ctx.resolve(Tokens.Connection);
    const table = target?.table ?? '';
    const copied = last?.rowsCopied ?? 0;
    const estimate = last?.rowsEstimate ?? 0;
    const progress = last?.lowWatermark === 'done' ? 100 : estimate > 0 ? Math.min(100, (100 * copied) / estimate) : 0;
    const copyMs = copyStartedAt === undefined ? 0 : Date.now() - copyStartedAt;
    const rate = copyMs > 0 ? copied / copyMs : 0;
    const eta = last?.lowWatermark === 'done' ? '0' : rate > 0 && estimate > copied ? String(Math.round((estimate - copied) / rate / 1000)) : '';
    const host = conn.socketPath ?? `${conn.host ?? '127.0.0.1'}:${conn.port ?? 3306}`;
    return {
      GH_OST_DATABASE_NAME: target?.schema ?? '',
      GH_OST_TABLE_NAME: table,
      GH_OST_GHOST_TABLE_NAME: table ? shadowTableName(table) : '',
      GH_OST_OLD_TABLE_NAME: table ? oldTableName(table) : '',
      GH_OST_DDL: target?.statement ?? ctx.resolve(Tokens.Options).statement,
      GH_OST_ELAPSED_SECONDS: String(Math.round((Date.now() - startedAt) / 1000)),
      GH_OST_ELAPSED_COPY_SECONDS: String(Math.round(copyMs / 1000)),
      GH_OST_ESTIMATED_ROWS: String(estimate),
      GH_OST_COPIED_ROWS: String(copied),
      GH_OST_PROGRESS: progress.toFixed(2),
      GH_OST_ETA_SECONDS: eta,
      GH_OST_INSPECTED_LAG: '0',
      GH_OST_HEARTBEAT_LAG: '0',
      GH_OST_MIGRATED_HOST: host,
      GH_OST_INSPECTED_HOST: host,
      GH_OST_EXECUTING_HOST: hostname(),
      GH_OST_HOOKS_HINT: options.hint ?? '',
      GH_OST_HOOKS_HINT_OWNER: options.hintOwner ?? '',
      GH_OST_HOOKS_HINT_TOKEN: options.hintToken ?? '',
      GH_OST_DRY_RUN: String(ctx.resolve(Tokens.Options).dryRun),
      GH_OST_REVERT: 'false',
      SLUICE_PHASE: last?.phase ?? 'setup',
      ...extra,
    };
  };

  const secrets = (ctx: PluginContext) => { const pw = ctx.resolve(Tokens.Connection).password; return pw ? [pw] : []; };
  const run = (ctx: PluginContext, hook: string, extra?: Record<string, string>) =>
    runHook(hook, { dir: options.path, env: env(ctx, extra), secrets: secrets(ctx), timeoutMs, signal: ctx.signal });

  /** A hook whose failure cannot change the outcome any more: warned. */
  const runWarned = async (ctx: PluginContext, hook: string, extra?: Record<string, string>) => {
    try {
      await run(ctx, hook, extra);
    } catch (err) {
      ctx.log.warn(`${(err as Error).message} (ignored: the outcome is already decided)`);
    }
  };

  return definePlugin({
    name: 'hooks',
    settings: { path: options.path, statusInterval: formatDuration(statusMs), timeout: formatDuration(timeoutMs), ...(options.hint ? { hint: options.hint } : {}) },
    setup: (ctx) => run(ctx, 'gh-ost-on-startup').then(() => undefined),
    preflight: (ctx) => run(ctx, 'gh-ost-on-validated').then(() => undefined),
    async beforeCopy(ctx, plan) {
      copyStartedAt = Date.now();
      last = { phase: 'copy', rowsCopied: 0, rowsWritten: 0, rowsSkipped: 0, rowsResumed: 0, rowsBelowWatermark: 0, chunks: 0, rowsEstimate: plan.rowsEstimate, lowWatermark: plan.resumedFrom, binlog: null, replayedEvents: 0, ...last };
      await run(ctx, 'gh-ost-on-rowcount-complete');
      await run(ctx, 'gh-ost-on-before-row-copy');
    },
    async progress(ctx, snapshot) {
      last = snapshot;
      if (!postponedTold && snapshot.phase === 'wait-for-cutover' && ctx.resolve(Tokens.Options).deferCutover) {
        postponedTold = true;
        await run(ctx, 'gh-ost-on-begin-postponed');
      }
      if (status || Date.now() - lastStatusAt < statusMs) return;
      lastStatusAt = Date.now();
      const line = `${snapshot.phase}: ${snapshot.rowsCopied} of ~${snapshot.rowsEstimate} rows copied${snapshot.throttled ? `; throttled: ${snapshot.throttled}` : ''}`;
      status = runWarned(ctx, 'gh-ost-on-status', { GH_OST_STATUS: line }).finally(() => { status = undefined; });
    },
    afterCopy: (ctx) => run(ctx, 'gh-ost-on-row-copy-complete').then(() => undefined),
    beforeCutover: (ctx) => run(ctx, 'gh-ost-on-before-cut-over').then(() => undefined),
    onSuccess: (ctx) => runWarned(ctx, 'gh-ost-on-success'),
    onError(ctx, error) {
      const message = oneLine(redactText(String((error as Error)?.message ?? error), secrets(ctx)), 500);
      return runWarned(ctx, 'gh-ost-on-failure', { SLUICE_ERROR: message });
    },
    async dispose() {
      await status; // a status hook follows the run's signal; it has stopped or is stopping
    },
  });
}

export default hooksPlugin;
