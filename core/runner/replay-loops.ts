/** The loops that run beside long phases: replay keeps flushing (it never pauses), progress is reported. */
import type { PhaseContext } from '../lifecycle/context.ts';
import { Tokens } from '../tokens.ts';
import { every, runTogether } from './background.ts';
import { RunStateToken } from './state.ts';

const FLUSH_EVERY_MS = 200;

/** Reports progress to listeners and to the `progress` hook (the checkpoint plugin saves it). */
export async function reportProgress(ctx: PhaseContext): Promise<void> {
  const snapshot = ctx.resolve(RunStateToken).snapshot();
  ctx.emit({ type: 'progress', snapshot });
  await ctx.hooks.call(ctx, 'progress', snapshot);
}

/** Runs `main` while replay flushes and progress is reported; settles when all of them have. */
export function withReplay(ctx: PhaseContext, main: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const state = ctx.resolve(RunStateToken);
  const interval = ctx.resolve(Tokens.Options).progressIntervalMs;
  return runTogether(ctx.signal, main, [
    (signal) => every(FLUSH_EVERY_MS, signal, async () => { await state.replayer?.flush(); }),
    (signal) => every(interval, signal, () => reportProgress(ctx)),
  ]);
}
