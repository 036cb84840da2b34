/** Cutover, deferred cutover and old-table cleanup. */
export { cutover, backoffMs, DEFAULT_CUTOVER_ATTEMPTS } from './cutover.ts';
export type { CutoverOptions, CutoverOutcome, CutoverLog, ReplayForCutover } from './types.ts';
export { createSentinel, waitForSentinel, DEFAULT_SENTINEL_POLL_MS } from './sentinel.ts';
export { chooseOldTableName, finishOldTable } from './old-table.ts';
export { swapTableNames, timestampedOldTableName, type SwapNames } from './names.ts';
export { CutoverFailedError, CutoverStateUnknownError, OldTableExistsError, SwapTableExistsError } from './errors.ts';
