/**
 * After the RENAME: the migration has succeeded, whatever happens next. Every step here runs to
 * its end even while the run is being cancelled, and a failure is a warning on the result, never
 * an error. Order matters for a rerun after a failure here:
 *   1. record "cut over" (a `progress` snapshot in phase `cut-over` naming the old table: the
 *      checkpoint plugin saves it) — before any cleanup starts;
 *   2. re-point other tables' foreign keys at the new table (rebuild-constraints), then drop the
 *      old table (unless kept) — skipped when step 1 failed, so the old table stays as the
 *      evidence that the swap happened — then give the table's own constraints their original
 *      names back (core/cutover/foreign-keys.ts);
 *   3. every plugin's `afterCutover`;
 *   4. (Migration) every plugin's `onSuccess`: the checkpoint is dropped only when no warning came
 *      before, else it stays and a rerun of the same statement finishes the cleanup (see
 *      finishEarlierCutover) instead of altering the table again.
 */
import { rebuildChildConstraints, restoreConstraintNames } from '../cutover/foreign-keys.ts';
import { finishOldTable } from '../cutover/old-table.ts';
import type { PhaseContext } from '../lifecycle/context.ts';
import { Tokens } from '../tokens.ts';
import { CUT_OVER_PHASE, type MigrationResult, type ResumePoint } from '../types.ts';
import { RunStateToken } from './state.ts';

export interface Swapped {
  readonly lockMs: number;
  /** Where the original table is now. */
  readonly oldTable: string;
}

export async function afterSwap(ctx: PhaseContext, swap: Swapped, record = true): Promise<MigrationResult> {
  const after = ctx.withSignal(new AbortController().signal);
  const options = ctx.resolve(Tokens.Options);
  const pool = ctx.resolve(Tokens.Pool);
  const { schema, table } = ctx.resolve(Tokens.Target);
  const state = ctx.resolve(RunStateToken);
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    after.log.warn(message);
  };

  state.phase = CUT_OVER_PHASE;
  let recorded = true;
  if (record) {
    // Every plugin hears it (one failing must not keep the checkpoint from recording it).
    const failed = await after.hooks.callAll(after, 'progress', { ...state.snapshot(), oldTable: swap.oldTable });
    if (failed.length > 0) {
      recorded = false;
      const why = failed.map(({ plugin, error }) => `plugin ${plugin}: ${describe(error)}`).join('; ');
      warn(`recording the cutover failed (${why}): the original table stays as \`${swap.oldTable}\`; run the same command again to finish the cleanup`);
    }
  }

  let oldTable: string | null = swap.oldTable;
  const { keep, rebuild } = state.foreignKeys;
  if (recorded && rebuild.length > 0) {
    try {
      const done = await rebuildChildConstraints(pool, schema, table, swap.oldTable, rebuild, ctx.resolve(Tokens.Target).parsed.renamedColumns);
      after.log.info(`foreign keys re-pointed at the new ${table}: ${done.join(', ')}`);
    } catch (err) {
      warn(`re-pointing the foreign keys of ${[...new Set(rebuild.map((fk) => fk.table))].join(', ')} at the new table failed (${describe(err)}): they still reference \`${swap.oldTable}\`, which is kept; re-create them with ALTER TABLE … DROP FOREIGN KEY …, ADD CONSTRAINT … REFERENCES \`${table}\``);
    }
  }
  if (recorded) {
    try {
      oldTable = await finishOldTable(pool, schema, table, options.keepOldTable, undefined, swap.oldTable);
      after.log.info(oldTable === null ? `the original table \`${swap.oldTable}\` is dropped` : `the original table is kept as \`${oldTable}\``);
    } catch (err) {
      warn(`${options.keepOldTable ? 'keeping' : 'dropping'} the original table \`${swap.oldTable}\` failed (${describe(err)}): run the same command again to finish the cleanup`);
    }
  }
  if (record && oldTable === null && keep.length > 0) {
    try {
      const restored = await restoreConstraintNames(pool, schema, table, ctx.resolve(Tokens.Shadow).name, keep);
      if (restored.length > 0) after.log.info(`foreign keys of ${table} renamed back to ${restored.join(', ')}`);
    } catch (err) {
      warn(`renaming the foreign keys of ${table} back to their original names failed (${describe(err)}): they keep the names of the shadow table's constraints`);
    }
  }

  state.cutover = { lockMs: Math.round(swap.lockMs), renamedTo: swap.oldTable, oldTable };
  for (const { plugin, error } of await after.hooks.callAll(after, 'afterCutover', state.cutover)) {
    warn(`plugin ${plugin}: afterCutover failed after the tables were swapped: ${describe(error)}`);
  }
  state.phase = 'done';
  const s = state.snapshot();
  return {
    schema, table, mode: 'copy', durationMs: Date.now() - state.startedAt,
    rowsCopied: s.rowsCopied, rowsWritten: s.rowsWritten, rowsSkipped: s.rowsSkipped, rowsResumed: s.rowsResumed,
    chunks: s.chunks, replayEvents: s.replayedEvents, phases: [],
    resumed: state.resumed, cutover: state.cutover, warnings,
  };
}

/**
 * A rerun after a failure in afterSwap: the checkpoint says the tables were swapped. Nothing is
 * copied or altered; the old table's cleanup and the afterCutover hooks run again.
 */
export async function finishEarlierCutover(ctx: PhaseContext, point: ResumePoint & { cutOver: { oldTable: string } }): Promise<MigrationResult> {
  const { schema, table } = ctx.resolve(Tokens.Target);
  const state = ctx.resolve(RunStateToken);
  const { oldTable } = point.cutOver;
  state.resumed = true;
  state.rowsCopiedBefore = point.rowsCopied;
  state.rowsBelowStart = point.rowsCopied;
  state.copyDone = true;
  ctx.log.info(`an earlier run of this statement already swapped ${schema}.${table} (the original is \`${oldTable}\`): finishing its cleanup; the table is not altered again`);
  return afterSwap(ctx, { lockMs: 0, oldTable }, false);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
