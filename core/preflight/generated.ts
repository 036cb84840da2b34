/**
 * checkStoredGeneratedInputs: refuses an ALTER that ends a column (DROP, or a rename away) while a
 * column of the same name exists after it, when a STORED generated column's expression reads that
 * name. The server's own ALTER may carry the old stored values over (MariaDB does so when it
 * copies rows), while a copy recomputes them from the new column: the results would differ.
 */
import { queryRows, type Queryable } from '../connection/connection.ts';
import type { AlterClause } from '../statement/types.ts';
import type { TableInfo } from '../table/types.ts';
import { StoredGeneratedInputError } from './errors.ts';

const lc = (s: string) => s.toLowerCase();

/** Original column names the statement ends: dropped, or renamed to another name. */
export function endedColumns(renamed: ReadonlyMap<string, string>, clauses: readonly AlterClause[]): Set<string> {
  const ended = new Set<string>();
  for (const [oldName, newName] of renamed) if (lc(oldName) !== lc(newName)) ended.add(lc(oldName));
  for (const c of clauses) if (c.kind === 'drop-column' && c.name !== undefined) ended.add(lc(c.name));
  return ended;
}

export async function checkStoredGeneratedInputs(
  db: Queryable, source: TableInfo, parsed: { renamedColumns: ReadonlyMap<string, string>; clauses: readonly AlterClause[] },
  after: readonly { name: string }[],
): Promise<void> {
  const ended = endedColumns(parsed.renamedColumns, parsed.clauses);
  const reused = [...ended].filter((n) => after.some((c) => lc(c.name) === n));
  if (reused.length === 0) return;
  const stored = await queryRows<{ n: string; e: string | null }>(db,
    `SELECT COLUMN_NAME AS n, GENERATION_EXPRESSION AS e FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%STORED GENERATED%'`, [source.schema, source.name]);
  for (const g of stored) {
    const expr = lc(String(g.e ?? ''));
    const input = reused.find((n) => expr.includes(`\`${n.replace(/`/g, '``')}\``));
    if (input !== undefined) {
      const spelled = source.columns.find((c) => lc(c.name) === input)?.name ?? input;
      throw new StoredGeneratedInputError(source.schema, source.name, String(g.n), spelled);
    }
  }
}
