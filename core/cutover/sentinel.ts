/**
 * Deferred cutover: while the sentinel table exists in the schema, the cutover waits (and replay
 * keeps the shadow current through `onWaiting`). Sluice creates it for --defer-cutover; an
 * operator may create it by hand to the same effect, and drops it to let the cutover run.
 */
import { type Queryable } from '../connection/connection.ts';
import { sleep, throwIfAborted } from '../lifecycle/abort.ts';
import { CUTOVER_SENTINEL_TABLE } from '../table/names.ts';
import { qualifiedName } from '../format.ts';
import { tableExists } from './tables.ts';

export const DEFAULT_SENTINEL_POLL_MS = 1000;

/** Creates the sentinel (IF NOT EXISTS: an operator's own sentinel is left as it is). */
export async function createSentinel(db: Queryable, schema: string): Promise<void> {
  const name = qualifiedName(schema, CUTOVER_SENTINEL_TABLE);
  const comment = `Sluice deferred cutover: DROP TABLE ${name} to let the cutover run`;
  await db.query(`CREATE TABLE IF NOT EXISTS ${name} (id INT NOT NULL PRIMARY KEY) COMMENT = ?`, [comment]);
}

/**
 * Returns once no sentinel exists in `schema`, or `released()` says so (a `cutover` control
 * command). While it does, calls `onWaiting` and polls every `pollMs`; rejects with
 * MigrationCancelledError as soon as `signal` aborts.
 */
export async function waitForSentinel(
  db: Queryable,
  schema: string,
  signal: AbortSignal,
  onWaiting: () => Promise<void>,
  pollMs: number = DEFAULT_SENTINEL_POLL_MS,
  released: () => boolean = () => false,
): Promise<void> {
  for (;;) {
    throwIfAborted(signal);
    if (released()) return;
    if (!(await tableExists(db, schema, CUTOVER_SENTINEL_TABLE))) return;
    await onWaiting();
    await sleep(pollMs, signal);
  }
}
