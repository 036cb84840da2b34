/**
 * Phase `verify`: replay catches up, then the `verify` hooks (the checksum plugin) run while replay
 * keeps flushing. Then deferred cutover: while the sentinel table exists (created by
 * --defer-cutover, or by an operator), wait — replaying — until it is dropped. Last, the
 * `beforeCutover` hooks (an approval gate may wait there, replay still running).
 */
import { createSentinel, waitForSentinel } from '../cutover/sentinel.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { CUTOVER_SENTINEL_TABLE } from '../table/names.ts';
import { Tokens } from '../tokens.ts';
import { reportProgress, withReplay } from './replay-loops.ts';
import { RunStateToken } from './state.ts';

export const verifyPhase: Phase = {
  name: 'verify',
  async run(ctx) {
    const state = ctx.resolve(RunStateToken);
    state.phase = 'verify';
    await state.replayer!.flush();
    await withReplay(ctx, (signal) => ctx.hooks.call(ctx.withSignal(signal), 'verify'));
    await reportProgress(ctx);
  },
};

export const waitForCutoverPhase: Phase = {
  name: 'wait-for-cutover',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    const pool = ctx.resolve(Tokens.Pool);
    const { schema } = ctx.resolve(Tokens.Target);
    const state = ctx.resolve(RunStateToken);
    state.phase = 'wait-for-cutover';
    if (options.deferCutover) {
      await createSentinel(pool, schema);
      ctx.log.info(`cutover deferred: DROP TABLE \`${schema}\`.\`${CUTOVER_SENTINEL_TABLE}\` to cut over`);
    }
    let told = false;
    await withReplay(ctx, (signal) => waitForSentinel(pool, schema, signal, async () => {
      if (!told && !options.deferCutover) ctx.log.info(`waiting: the sentinel table \`${schema}\`.\`${CUTOVER_SENTINEL_TABLE}\` exists; drop it to cut over`);
      told = true;
    }));
    await withReplay(ctx, (signal) => ctx.hooks.call(ctx.withSignal(signal), 'beforeCutover'));
  },
};
