/**
 * Phase `verify`: replay catches up, then the `verify` hooks (the checksum plugin) run while replay
 * keeps flushing. Then deferred cutover: while the sentinel table exists (created by
 * --defer-cutover, or by an operator), wait — replaying — until it is dropped. Last, the
 * `beforeCutover` hooks (an approval gate may wait there, replay still running).
 */
import { createSentinel, DEFAULT_SENTINEL_POLL_MS, waitForSentinel } from '../cutover/sentinel.ts';
import { qualifiedName } from '../format.ts';
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
    // A `cutover` control command sent before now releases the wait in advance (no sentinel made).
    const deferred = options.deferCutover && !state.cutoverReleased;
    if (deferred) {
      await createSentinel(pool, schema);
      ctx.log.info(`cutover deferred: DROP TABLE \`${schema}\`.\`${CUTOVER_SENTINEL_TABLE}\` (or migrate ctl cutover) to cut over`);
    }
    let told = false;
    state.cutoverWaiting = true;
    try {
      await withReplay(ctx, (signal) => waitForSentinel(pool, schema, signal, async () => {
        if (!told && !options.deferCutover) ctx.log.info(`waiting: the sentinel table \`${schema}\`.\`${CUTOVER_SENTINEL_TABLE}\` exists; drop it (or migrate ctl cutover) to cut over`);
        told = true;
      }, DEFAULT_SENTINEL_POLL_MS, () => state.cutoverReleased));
    } finally {
      state.cutoverWaiting = false;
    }
    if (state.cutoverReleased && deferred) {
      // released by a command: the sentinel this run made must not hold up the next migration in the schema
      await pool.query(`DROP TABLE IF EXISTS ${qualifiedName(schema, CUTOVER_SENTINEL_TABLE)}`);
      ctx.log.info('cutover released through the control endpoint: the sentinel table is dropped');
    } else if (state.cutoverReleased && told) {
      ctx.log.info(`cutover released through the control endpoint; the sentinel table \`${schema}\`.\`${CUTOVER_SENTINEL_TABLE}\` (not made by this run) is left`);
    }
    await withReplay(ctx, (signal) => ctx.hooks.call(ctx.withSignal(signal), 'beforeCutover'));
  },
};
