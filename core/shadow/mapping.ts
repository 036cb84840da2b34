/**
 * Which source column feeds each shadow column, and the primary-key check. Pure: no server.
 * Column names compare case-insensitively, as the server does.
 */
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import { ShadowPrimaryKeyError } from './errors.ts';

const lc = (name: string) => name.toLowerCase();

export interface ShadowColumns {
  mapping: ColumnMapping;
  /** Non-generated shadow columns with no source column: they take their defaults. */
  added: string[];
  /** Source columns (generated or not) with no shadow column: their data is not carried. */
  dropped: string[];
}

/** The source column (its stored spelling) a shadow column comes from, or undefined when it is new. */
function sourceNameFor(
  shadowColumn: string,
  sourceByLc: ReadonlyMap<string, string>,
  renamedFrom: ReadonlyMap<string, string>,
  renamedAway: ReadonlySet<string>,
): string | undefined {
  const key = lc(shadowColumn);
  const old = renamedFrom.get(key);
  if (old !== undefined) return sourceByLc.get(lc(old));
  // A column that was renamed away and re-added under its old name is a new column.
  if (renamedAway.has(key)) return undefined;
  return sourceByLc.get(key);
}

function renameIndexes(renamed: ReadonlyMap<string, string>) {
  const renamedFrom = new Map<string, string>();
  const renamedAway = new Set<string>();
  for (const [oldName, newName] of renamed) {
    renamedFrom.set(lc(newName), oldName);
    if (lc(oldName) !== lc(newName)) renamedAway.add(lc(oldName));
  }
  return { renamedFrom, renamedAway };
}

export function mapColumns(source: TableInfo, shadow: TableInfo, renamed: ReadonlyMap<string, string>): ShadowColumns {
  const sourceByLc = new Map(source.columns.map((c) => [lc(c.name), c.name]));
  const { renamedFrom, renamedAway } = renameIndexes(renamed);
  const sourceCols: string[] = [];
  const targetCols: string[] = [];
  const added: string[] = [];
  const used = new Set<string>();
  for (const column of shadow.columns) {
    const from = sourceNameFor(column.name, sourceByLc, renamedFrom, renamedAway);
    if (from !== undefined) used.add(lc(from));
    if (column.generated) continue;
    if (from === undefined) {
      added.push(column.name);
    } else {
      sourceCols.push(from);
      targetCols.push(column.name);
    }
  }
  const dropped = source.columns.filter((c) => !used.has(lc(c.name))).map((c) => c.name);
  return { mapping: { source: sourceCols, target: targetCols }, added, dropped };
}

/** The shadow's PK must be the source's PK (after renames), column for column, and not empty. */
export function checkPrimaryKey(source: TableInfo, shadow: TableInfo, renamed: ReadonlyMap<string, string>): void {
  const newNameOf = new Map([...renamed].map(([oldName, newName]) => [lc(oldName), newName]));
  const expected = source.primaryKey.map((c) => newNameOf.get(lc(c)) ?? c);
  const actual = shadow.primaryKey;
  const same = expected.length > 0 && expected.length === actual.length && expected.every((c, i) => lc(c) === lc(actual[i]!));
  if (!same) throw new ShadowPrimaryKeyError(source.schema, source.name, expected, actual);
}
