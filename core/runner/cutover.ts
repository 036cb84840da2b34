/** Phase `cutover`: the atomic swap (core/cutover), then what happens after it (after-swap.ts). */
import { cutover } from '../cutover/cutover.ts';
import { chooseOldTableName } from '../cutover/old-table.ts';
import type { ReplayForCutover } from '../cutover/types.ts';
import type { Phase } from '../lifecycle/migration.ts';
import type { BinlogReplayer } from '../replay/replayer.ts';
import { Tokens } from '../tokens.ts';
import { afterSwap } from './after-swap.ts';
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
      dropSwap: state.foreignKeys.dropSwap,
      replay: cutoverReplay(state.replayer!),
      attempts: options.cutoverAttempts,
      signal: ctx.signal,
      log: ctx.log,
    });
    // The tables are swapped: the migration is done. What follows never fails it (warnings on the
    // result) and runs to its end even if the run is being cancelled.
    return afterSwap(ctx, { lockMs: swap.lockMs, oldTable: swap.oldTable });
  },
};
