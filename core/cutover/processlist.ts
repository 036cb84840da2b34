/** Watching and stopping the cutover's own sessions through the process list. */
import { queryRows, type Queryable } from '../connection/connection.ts';
import { sleep } from '../lifecycle/abort.ts';

/** The state the server shows for a statement queued on a table's metadata lock (MariaDB and MySQL). */
export const WAITING_FOR_TABLE_MDL = 'Waiting for table metadata lock';

/** The thread's state, or undefined when the thread is gone. */
export async function threadState(db: Queryable, threadId: number): Promise<string | undefined> {
  const rows = await queryRows<{ state: string | null }>(db, 'SELECT STATE AS state FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
  return rows.length === 0 ? undefined : String(rows[0]!.state ?? '');
}

/**
 * Polls until the thread is queued on a table metadata lock (true), or it finished (`finished()`),
 * or `timeoutMs` passed (false). Rejects promptly on abort.
 */
export async function waitUntilQueuedOnTable(
  db: Queryable, threadId: number, finished: () => boolean, timeoutMs: number, signal: AbortSignal, pollMs = 10,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (finished()) return false;
    if ((await threadState(db, threadId)) === WAITING_FOR_TABLE_MDL) return !finished();
    if (Date.now() >= deadline) return false;
    await sleep(pollMs, signal);
  }
}

/** Polls until the thread has left the process list; false if it is still there after `timeoutMs`. */
export async function waitUntilGone(db: Queryable, threadId: number, timeoutMs: number, pollMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const never = new AbortController().signal; // cleanup waits are not cancellable: they are bounded instead
  for (;;) {
    if ((await threadState(db, threadId)) === undefined) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs, never);
  }
}
