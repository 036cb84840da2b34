/** Which of a few tables exist in a schema. */
import { queryRows, type Queryable } from '../connection/connection.ts';


/** The subset of `names` that exist as base tables or views in `schema` (exact names). */
export async function existingTables(db: Queryable, schema: string, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await queryRows<{ name: string }>(
    db,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)',
    [schema, names],
  );
  const found = new Set(rows.map((r) => String(r.name)));
  return new Set(names.filter((n) => found.has(n)));
}

export async function tableExists(db: Queryable, schema: string, name: string): Promise<boolean> {
  return (await existingTables(db, schema, [name])).has(name);
}
