/** Phase `copy`: chunked parallel copy while replay keeps flushing (see core/copier). */
import { Copier } from '../copier/copier.ts';
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
    const source = ctx.resolve(Tokens.Source);
    const shadow = ctx.resolve(Tokens.Shadow);
    await ctx.hooks.call(ctx, 'beforeCopy', { rowsEstimate: state.rowsEstimate, resumedFrom: state.resumeLowWatermark, threads: options.threads });
    await withReplay(ctx, async (signal) => {
      const copier = new Copier({
        pool: ctx.resolve(Tokens.Pool),
        source,
        shadow: shadow.name,
        mapping: shadow.mapping,
        threads: options.threads,
        targetChunkMs: options.targetChunkMs,
        startAfter: state.resumeLowWatermark,
        signal,
        beforeChunk: (chunk) => ctx.hooks.call(ctx, 'beforeChunk', chunk),
        afterChunk: (done) => ctx.hooks.call(ctx, 'afterChunk', done),
      });
      state.copier = copier;
      await copier.run();
    });
    state.copyDone = true;
    await reportProgress(ctx);
    await ctx.hooks.call(ctx, 'afterCopy');
  },
};
