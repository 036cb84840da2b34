/** Phase `copy`: chunked parallel copy while replay keeps flushing (see core/copier). */
import type { PhaseContext } from '../lifecycle/context.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { Tokens } from '../tokens.ts';
import { tableKey } from '../table/key.ts';
import { buildCopier, maxKey } from './prepare.ts';
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
    await withReplay(ctx, async (signal) => {
      if (state.copyDone) return;
      const copier = state.copier!;
      // the copier was built with its own stop signal: a failing loop stops it too
      const stop = state.stopCopy;
      signal.addEventListener('abort', () => stop.abort(signal.reason), { once: true });
      await copier.run();
    }, { what: 'the copy', beforeRetry: () => continueCopy(ctx) });
    state.copyDone = true;
    await reportProgress(ctx);
    await ctx.hooks.call(ctx, 'afterCopy');
  },
};

/**
 * After a lost server: a new copier continues after the old one's low watermark, as a resume
 * does in a new run. Replay is flushed first (no loop runs now), then the shadow's highest key is
 * read: replay must never skip a key at or below it (see prepare.ts, `skippable`).
 */
async function continueCopy(ctx: PhaseContext): Promise<void> {
  const state = ctx.resolve(RunStateToken);
  const old = state.copier!;
  const shadow = ctx.resolve(Tokens.Shadow);
  const source = ctx.resolve(Tokens.Source);
  await state.replayer!.flush();
  state.shadowMaxKey = await maxKey(ctx.resolve(Tokens.Pool), source.schema, shadow.name, tableKey(source).columns);
  const low = old.lowWatermark;
  state.rowsBelowStart += old.rowsBelowWatermark;
  state.retired = { written: state.retired.written + old.rowsCopied, read: state.retired.read + old.rowsRead, chunks: state.retired.chunks + old.chunks };
  if (low === 'done') {
    state.copyDone = true;
    return;
  }
  state.resumeLowWatermark = low;
  state.copier = buildCopier(ctx, shadow.name, shadow.mapping);
  ctx.log.info(`the copy continues after ${low === null ? 'the start' : `(${low.map(String).join(', ')})`}`);
}
