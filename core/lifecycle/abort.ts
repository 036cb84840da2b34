/**
 * AbortSignal helpers: every wait in Sluice goes through these so cancellation is prompt.
 * There is deliberately no "race a promise against the signal": a run must never settle while
 * one of its own queries is still in flight, or dispose would close a resource under it.
 */
import { MigrationCancelledError } from '../errors.ts';

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw asCancellation(signal.reason);
}

export function asCancellation(reason: unknown): MigrationCancelledError {
  return reason instanceof MigrationCancelledError ? reason : new MigrationCancelledError(reason);
}

/** Resolves after ms, or rejects with MigrationCancelledError as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(asCancellation(signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(asCancellation(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
