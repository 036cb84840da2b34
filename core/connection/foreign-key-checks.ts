/**
 * Copy and replay write the shadow with `foreign_key_checks = 0` (core/copier/README.md, "Foreign
 * keys"): every row comes from the source, where its constraints already hold, and a table that
 * references itself is copied in key order, so a row may reference one not copied yet. The session
 * is set back to 1 afterwards: the pool's other statements (the old table's DROP above all) keep the
 * server's checks.
 */
import type { Queryable } from './connection.ts';

export async function withoutForeignKeyChecks<T>(conn: Queryable, run: () => Promise<T>): Promise<T> {
  await conn.query('SET SESSION foreign_key_checks = 0');
  try {
    return await run();
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1').catch(() => undefined);
  }
}
