/**
 * Runs a main task alongside helper loops (replay flushing, progress ticks) and settles only when
 * ALL of them have settled: no loop may outlive its phase, or dispose could close a resource under
 * it. The first genuine failure wins over cancellations; any failure stops the others.
 */
import { MigrationCancelledError } from '../errors.ts';

export async function runTogether(
  outer: AbortSignal,
  main: (signal: AbortSignal) => Promise<void>,
  loops: ReadonlyArray<(signal: AbortSignal) => Promise<void>>,
): Promise<void> {
  const local = new AbortController();
  const signal = AbortSignal.any([outer, local.signal]);
  const failures: unknown[] = [];
  const stopOthers = (err: unknown) => {
    failures.push(err);
    if (!local.signal.aborted) local.abort(err);
  };
  const tasks = [
    main(signal).then(() => local.abort(DONE), stopOthers),
    // a loop's step that fails after the main task completed is still a failure of the phase
    ...loops.map((loop) => loop(signal).catch(stopOthers)),
  ];
  await Promise.all(tasks);
  if (failures.length === 0) return;
  throw failures.find((e) => !(e instanceof MigrationCancelledError)) ?? failures[0];
}

/** The reason the loops are stopped with when the main task completed. */
export const DONE = new MigrationCancelledError('the phase completed');

/** Repeats `step` every `ms` until the signal aborts; resolves quietly on abort. */
export async function every(ms: number, signal: AbortSignal, step: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    await step();
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
