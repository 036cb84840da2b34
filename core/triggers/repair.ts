/**
 * After a run died inside the cutover's trigger move (before the swap): triggers found on the
 * shadow (`_t_new` or `<t>~new`) go back to `t`, before copy or replay write to the shadow again
 * and before a cleanup drops it (which would drop them too). Run on one session.
 */
import type { Queryable } from '../connection/connection.ts';
import { createTrigger, dropTrigger, readTriggerDefs } from './read.ts';

/** Returns the names of the triggers moved back. */
export async function returnTriggersToTable(db: Queryable, schema: string, table: string, from: readonly string[]): Promise<string[]> {
  const moved: string[] = [];
  for (const other of from) {
    for (const def of await readTriggerDefs(db, schema, other)) {
      await dropTrigger(db, schema, def.name);
      await createTrigger(db, def, schema, table);
      moved.push(def.name);
    }
  }
  return moved;
}
