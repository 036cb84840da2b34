/**
 * The loops that run beside long phases: replay keeps flushing (it never pauses), progress is
 * reported. A lost server stops them like any failure; withReplay then waits for the server
 * (bounded, saying so) and runs the phase's task again (see README.md).
 */
import { describeConnection } from '../connection/connection.ts';
import { isConnectionLoss } from '../connection/lifetime.ts';
import { MAX_RECONNECTS, waitForServer } from '../connection/reconnect.ts';
import type { PhaseContext } from '../lifecycle/context.ts';
import { Tokens } from '../tokens.ts';
import { every, runTogether } from './background.ts';
import { RunStateToken } from './state.ts';

const FLUSH_EVERY_MS = 200;

/** Reports progress to listeners and to the `progress` hook (the checkpoint plugin saves it). */
export async function reportProgress(ctx: PhaseContext): Promise<void> {
  const state = ctx.resolve(RunStateToken);
  const snapshot = state.snapshot();
  const measures = await state.meter.measure(snapshot, {
    pool: ctx.resolve(Tokens.Pool), startedAt: state.startedAt, copyDone: state.copyDone, pendingKeys: state.replayer?.pending ?? 0,
  });
  ctx.emit({ type: 'progress', snapshot, ...measures });
  await ctx.hooks.call(ctx, 'progress', snapshot);
}

export interface ReplayLoopOptions {
  /** Before `main` runs again after a lost server (no loop runs meanwhile). */
  beforeRetry?: () => Promise<void>;
  /** What `main` does, for the log lines ("the copy"). */
  what?: string;
}

/**
 * Runs `main` while replay flushes and progress is reported; settles when all of them have.
 * When they fail because the server was lost (and replay itself has not failed for good), waits
 * for the server up to `reconnectTimeout` and runs `beforeRetry` and `main` again, at most
 * MAX_RECONNECTS times; otherwise the failure stands and the run keeps its checkpoint.
 */
export async function withReplay(ctx: PhaseContext, main: (signal: AbortSignal) => Promise<void>, opts: ReplayLoopOptions = {}): Promise<void> {
  const state = ctx.resolve(RunStateToken);
  const options = ctx.resolve(Tokens.Options);
  const pool = ctx.resolve(Tokens.Pool);
  let retry = false;
  for (let losses = 0; ; ) {
    try {
      if (retry) await opts.beforeRetry?.();
      await runTogether(ctx.signal, main, [
        (signal) => every(FLUSH_EVERY_MS, signal, async () => { await state.replayer?.flush(); }),
        (signal) => every(options.progressIntervalMs, signal, () => reportProgress(ctx)),
      ]);
      return;
    } catch (err) {
      if (ctx.signal.aborted || !isConnectionLoss(err) || state.replayer?.failure || ++losses > MAX_RECONNECTS) throw err;
      await waitForServer(pool, ctx.signal, {
        where: describeConnection(options.connection),
        timeoutSeconds: options.reconnectTimeout,
        log: ctx.log,
        what: opts.what ?? `the ${state.phase} phase`,
        cause: err,
      });
      retry = true;
    }
  }
}
