/** The inspect phase's trigger checks: names first (no server change), then the probe. */
import type { SessionPool } from '../connection/user-session.ts';
import type { ParsedAlter } from '../statement/types.ts';
import { checkTriggerNames, probeTriggers } from './check.ts';
import { readTriggerDefs } from './read.ts';

export async function checkTriggers(pool: SessionPool, schema: string, table: string, parsed: ParsedAlter): Promise<void> {
  const conn = await pool.getConnection();
  try {
    const defs = await readTriggerDefs(conn, schema, table);
    checkTriggerNames(schema, table, defs);
    await probeTriggers(conn, schema, table, parsed, defs);
  } finally {
    conn.release();
  }
}
