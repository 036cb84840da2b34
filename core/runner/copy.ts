/** Phase `copy`: chunked parallel copy while replay keeps flushing (see core/copier). */
import type { Phase } from '../lifecycle/migration.ts';
import { Tokens } from '../tokens.ts';
import { reportProgress, withReplay } from './replay-loops.ts';
import { RunStateToken } from './state.ts';

export const copyPhase: Phase = {
  name: 'copy',
  async run(ctx) {
    const state = ctx.resolve(RunStateToken);
    state.phase = 'copy';
    if (state.copyDone) {
      ctx.log.info('every row was copied before the interruption: skipping the copy');
      return;
    }
    const options = ctx.resolve(Tokens.Options);
    await ctx.hooks.call(ctx, 'beforeCopy', { rowsEstimate: state.rowsEstimate, resumedFrom: state.resumeLowWatermark, threads: options.threads });
    const copier = state.copier!;
    await withReplay(ctx, async (signal) => {
      // the copier was built in `prepare` with its own stop signal: a failing loop stops it too
      signal.addEventListener('abort', () => state.stopCopy.abort(signal.reason), { once: true });
      await copier.run();
    });
    state.copyDone = true;
    await reportProgress(ctx);
    await ctx.hooks.call(ctx, 'afterCopy');
  },
};
