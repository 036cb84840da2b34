/** Ending other sessions. */
import type { Queryable } from '../connection/connection.ts';

const ER_NO_SUCH_THREAD = 1094;

/** Ends a whole session (not just its statement, so a statement still in flight can never run). */
export async function killConnection(db: Queryable, threadId: number): Promise<void> {
  try {
    await db.query('KILL CONNECTION ?', [threadId]);
  } catch (err) {
    // already gone, which is what we wanted
    if ((err as { errno?: number }).errno !== ER_NO_SUCH_THREAD) throw err;
  }
}
