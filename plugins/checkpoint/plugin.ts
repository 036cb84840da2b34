/**
 * The checkpoint plugin's hooks. State is kept per migration (in its container), so one plugin
 * object may serve several migrations. Everything runs inside awaited hooks on core's pool: the
 * plugin owns no connection and no timer, so there is nothing to dispose.
 */
import {
  checkpointTableName, definePlugin, SourceTableChangedError, token, Tokens,
  type PluginContext, type ProgressSnapshot, type SluicePlugin,
} from '../../plugin-api.ts';
import { formatDuration, tableKey } from '../../plugin-api.ts';
import { CheckpointWriteError } from './errors.ts';
import { gtidAt, serverIdentity } from './identity.ts';
import { checkResume } from './resume-check.ts';
import { shouldWrite, type LastWrite } from './schedule.ts';
import { CheckpointTable, keyText, type CheckpointRecord } from './table.ts';

export interface ResolvedCheckpointOptions {
  readonly strict: boolean;
  readonly intervalMs: number;
  readonly maxAgeMs: number;
}

interface RunState {
  /** This run resumed from the checkpoint (its resume hook returned the point). */
  offered: boolean;
  /** The checkpoint table exists and this run keeps it up to date. */
  ready: boolean;
  /** Dropped after cutover or invalidation: never written again. */
  finished: boolean;
  last: LastWrite | undefined;
  lastSeen: ProgressSnapshot | undefined;
  lastWritten: ProgressSnapshot | undefined;
  writes: Promise<unknown>;
  /** The GTID position last computed, for the binlog position it was computed at (often unchanged). */
  gtidOf: { file: string; position: number; gtid: string | undefined } | undefined;
}

export function createCheckpointPlugin(options: ResolvedCheckpointOptions): SluicePlugin {
  // Per-migration state lives in the migration's container (one token per plugin instance), so
  // every hook of a migration sees it, whatever context object the hook is called with.
  const StateToken = token<RunState>('checkpoint:state');
  const stateOf = (ctx: PluginContext): RunState => {
    let s = ctx.tryResolve(StateToken);
    if (!s) {
      s = { offered: false, ready: false, finished: false, last: undefined, lastSeen: undefined, lastWritten: undefined, writes: Promise.resolve(), gtidOf: undefined };
      ctx.provide(StateToken, s);
    }
    return s;
  };

  const tableOf = (ctx: PluginContext): CheckpointTable => {
    const { schema, table } = ctx.resolve(Tokens.Target);
    return new CheckpointTable(ctx.resolve(Tokens.Pool), schema, checkpointTableName(table));
  };

  /**
   * Saves a record with the server's identity and the exact GTID position at the binlog position
   * (so a resume elsewhere can translate it); writes are serialized so a later snapshot is never
   * overwritten by an earlier one.
   */
  const save = (ctx: PluginContext, s: RunState, record: Omit<CheckpointRecord, 'table' | 'statement' | 'server' | 'key'>): Promise<void> => {
    const { table, statement } = ctx.resolve(Tokens.Target);
    const key = keyText(tableKey(ctx.resolve(Tokens.Source)));
    const cp = tableOf(ctx);
    const db = ctx.resolve(Tokens.Pool);
    const flavor = ctx.resolve(Tokens.Flavor);
    const run = s.writes.then(async () => {
      try {
        const server = await serverIdentity(db, flavor);
        const { file, position } = record.binlog;
        if (s.gtidOf?.file !== file || s.gtidOf.position !== position) s.gtidOf = { file, position, gtid: await gtidAt(db, flavor, record.binlog) };
        const gtid = s.gtidOf.gtid;
        const binlog = { file: record.binlog.file, position: record.binlog.position, ...(gtid ? { gtid } : {}) };
        await cp.write({ ...record, binlog, server, table, statement, key });
      } catch (err) {
        throw new CheckpointWriteError(cp.schema, cp.name, err instanceof Error ? err.message : String(err), { cause: err });
      }
      s.last = { at: Date.now(), phase: record.phase, done: record.lowWatermark === 'done' };
    });
    s.writes = run.catch(() => undefined);
    return run;
  };

  const saveSnapshot = async (ctx: PluginContext, s: RunState, snapshot: ProgressSnapshot): Promise<void> => {
    if (!snapshot.binlog) return;
    await save(ctx, s, {
      lowWatermark: snapshot.lowWatermark,
      rowsCopied: snapshot.rowsBelowWatermark,
      binlog: snapshot.binlog,
      phase: snapshot.phase,
      ...(snapshot.oldTable ? { oldTable: snapshot.oldTable } : {}),
    });
    s.lastWritten = snapshot;
  };

  const drop = async (ctx: PluginContext, s: RunState, why: string): Promise<void> => {
    s.finished = true;
    await s.writes;
    const cp = tableOf(ctx);
    await cp.drop();
    ctx.log.info(`checkpoint ${cp.name} dropped: ${why}`);
  };

  return definePlugin({
    name: 'checkpoint',
    settings: { strict: options.strict, interval: formatDuration(options.intervalMs), maxAge: formatDuration(options.maxAgeMs) },

    async resume(ctx) {
      const s = stateOf(ctx);
      const target = ctx.resolve(Tokens.Target);
      const db = ctx.resolve(Tokens.Pool);
      const decision = await checkResume({
        db, flavor: ctx.resolve(Tokens.Flavor), schema: target.schema, table: target.table,
        statement: target.statement, key: keyText(tableKey(ctx.resolve(Tokens.Source))), maxAgeMs: options.maxAgeMs,
      });
      if (decision.kind === 'fresh') return undefined;
      if (decision.kind === 'stop') throw decision.error;
      if (decision.kind === 'cut-over') {
        s.offered = true;
        s.ready = true;
        return decision.point;
      }
      if (decision.kind === 'refused') {
        if (options.strict) throw decision.error;
        ctx.log.warn(`not resuming: ${decision.error.reason}; dropping the checkpoint and starting fresh`);
        await tableOf(ctx).drop();
        return undefined;
      }
      s.offered = true;
      s.ready = true;
      const p = decision.point;
      if (decision.translated) ctx.log.warn(`the checkpoint was written on another server: ${decision.translated}; resuming from there`);
      ctx.log.info(
        `checkpoint found (written ${decision.updatedAt} UTC, ${formatDuration(decision.ageMs)} ago, phase ${decision.phase}): ` +
        `resuming with ${p.rowsCopied.toLocaleString('en-US')} rows already copied, replay from ${p.binlog.file}:${p.binlog.position}`,
      );
      return p;
    },

    async beforeCopy(ctx, plan) {
      const s = stateOf(ctx);
      const cp = tableOf(ctx);
      if (!s.offered) await cp.drop(); // a fresh run never keeps a stale checkpoint
      await cp.create();
      s.ready = true;
      if (s.offered) return;
      // Resumable from the first chunk on: copy from the start, replay from where it started.
      await save(ctx, s, { lowWatermark: plan.resumedFrom, rowsCopied: 0, binlog: ctx.resolve(Tokens.Replay).applied, phase: 'copy' });
    },

    async progress(ctx, snapshot) {
      const s = stateOf(ctx);
      if (s.finished || !snapshot.binlog) return;
      s.lastSeen = snapshot;
      if (!shouldWrite(s.last, snapshot, Date.now(), options.intervalMs)) return;
      if (!s.ready) {
        await tableOf(ctx).create(); // resumed by another plugin's point: keep a checkpoint all the same
        s.ready = true;
      }
      await saveSnapshot(ctx, s, snapshot);
    },

    async onSuccess(ctx, result) {
      const s = stateOf(ctx);
      if (!s.ready || s.finished) return;
      // A step after the swap failed: keep the checkpoint (phase cut-over), so a rerun of the
      // same statement finishes the cleanup instead of migrating the table again.
      if (result.warnings.length > 0) {
        ctx.log.info(`checkpoint ${tableOf(ctx).name} kept: run the same command again to finish the cleanup`);
        return;
      }
      await drop(ctx, s, 'the migration succeeded');
    },

    async onError(ctx, error) {
      const s = stateOf(ctx);
      if (sourceChanged(error) && ctx.tryResolve(Tokens.Target) && ctx.tryResolve(Tokens.Pool)) {
        await drop(ctx, s, 'the source table changed, so the shadow copy cannot be resumed');
        return;
      }
      if (s.ready && !s.finished) ctx.log.info('checkpoint kept: fix the cause and run the migration again to resume');
    },

    async onCancel(ctx) {
      const s = stateOf(ctx);
      if (!s.ready || s.finished) return;
      // Save the latest progress seen, so an interruption costs seconds, not an interval.
      if (s.lastSeen && s.lastSeen !== s.lastWritten) await saveSnapshot(ctx, s, s.lastSeen);
      ctx.log.info('checkpoint kept: run the migration again to resume');
    },
  });
}

function sourceChanged(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e; depth++) {
    if (e instanceof SourceTableChangedError || (e as { code?: unknown }).code === 'SOURCE_TABLE_CHANGED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
