/** Phase `cutover`: the atomic swap (core/cutover), then what happens to the old table. */
import { cutover } from '../cutover/cutover.ts';
import { chooseOldTableName, finishOldTable } from '../cutover/old-table.ts';
import type { ReplayForCutover } from '../cutover/types.ts';
import type { Phase } from '../lifecycle/migration.ts';
import type { BinlogReplayer } from '../replay/replayer.ts';
import { Tokens } from '../tokens.ts';
import { reportProgress } from './replay-loops.ts';
import { RunStateToken } from './state.ts';

/** The replayer as the cutover drives it, with the catch-up through the pool before each lock. */
function cutoverReplay(r: BinlogReplayer): ReplayForCutover {
  return {
    waitFor: (pos, signal) => r.waitFor(pos, signal),
    flush: (conn, opts) => r.flush(conn, opts),
    flushPending: () => r.flush(),
    stop: () => r.stop(),
    get pending() { return r.pending; },
  };
}

export const cutoverPhase: Phase = {
  name: 'cutover',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    const pool = ctx.resolve(Tokens.Pool);
    const { schema, table } = ctx.resolve(Tokens.Target);
    const shadow = ctx.resolve(Tokens.Shadow);
    const state = ctx.resolve(RunStateToken);
    state.phase = 'cutover';
    const locks = ctx.resolve(Tokens.Locks);
    const oldName = await chooseOldTableName(pool, schema, table, options.keepOldTable);
    const swap = await cutover({
      connection: options.connection,
      session: options.session,
      locks: locks.policy,
      ownSessions: () => locks.ownSessionIds(),
      schema, table, shadow: shadow.name, oldName,
      replay: cutoverReplay(state.replayer!),
      attempts: options.cutoverAttempts,
      signal: ctx.signal,
      log: ctx.log,
    });
    // The tables are swapped: the migration is done. What follows runs to its end even if the
    // run is being cancelled, so a finished migration is never reported (or left) half-finished.
    const after = ctx.withSignal(new AbortController().signal);
    const lockMs = Math.round(swap.lockMs);
    const kept = await finishOldTable(pool, schema, table, options.keepOldTable, undefined, swap.oldTable);
    state.cutover = { lockMs, oldTable: kept };
    state.phase = 'done';
    await after.hooks.call(after, 'afterCutover', state.cutover);
    return {
      schema, table, mode: 'copy', durationMs: Date.now() - state.startedAt,
      rowsCopied: state.snapshot().rowsCopied, resumed: state.resumed, cutover: state.cutover,
    };
  },
};
