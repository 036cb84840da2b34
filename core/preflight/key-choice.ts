/**
 * chooseKey: the key Sluice copies, replays, checksums and resumes by (see the root README, "Which
 * key"). It is a set K of columns such that
 *   - K contains the columns of a UNIQUE index U of the old table (the PRIMARY KEY first, then the
 *     other unique indexes by name), every column of U NOT NULL: K is unique in the old table;
 *   - K is exactly the columns of a UNIQUE index V of the new table (PRIMARY first), every column
 *     NOT NULL in both tables, none added by the ALTER: K is unique in the new table, and a
 *     duplicate on V in the shadow is the same row (so `PRIMARY KEY (id)` → `PRIMARY KEY (id, i)`
 *     qualifies: (id, i) contains (id));
 *   - the ALTER keeps every value of K: no column of K is dropped or renamed, and each one's type
 *     change keeps identity (key-change.ts), and K's types bound chunks exactly (no FLOAT/DOUBLE).
 * K's order is U's columns, then V's other columns: chunks walk U on the source in that order.
 * The first (U, V) pair that qualifies wins; with none, NoUsableKeyError lists every key
 * considered and why it fails — or KeyColumnChangeError when the first candidate (the PRIMARY KEY)
 * failed only because the ALTER changes a key column's type unsafely (the more precise fix).
 */
import type { ColumnInfo, IndexInfo, TableInfo, TableKey } from '../table/types.ts';
import { unchunkableType } from '../table/key.ts';
import { keyChangeProblem, type KeyColumnType } from './key-change.ts';
import { KeyColumnChangeError, NoUsableKeyError } from './errors.ts';

/** A candidate that failed only because the ALTER changes a key column's type unsafely. */
interface TypeChange { column: string; from: string; to: string; why: string }

/** The new table as far as the choice needs it (the probe's result, or the shadow's TableInfo). */
export interface NewTable {
  readonly columns: readonly (KeyColumnType & Pick<ColumnInfo, 'nullable' | 'dataType'>)[];
  readonly indexes: readonly IndexInfo[];
}

const lc = (s: string) => s.toLowerCase();
const show = (index: IndexInfo) => `${index.name === 'PRIMARY' ? 'PRIMARY KEY' : `UNIQUE ${index.name}`} (${index.columns.join(', ')})`;

/** The key, or NoUsableKeyError naming each candidate and why it fails. `renamed`: old → new column names. */
export function chooseKey(source: TableInfo, after: NewTable, renamed: ReadonlyMap<string, string> = new Map()): TableKey {
  const newName = new Map([...renamed].map(([o, n]) => [lc(o), n]));
  const oldCol = (name: string) => source.columns.find((c) => lc(c.name) === lc(name));
  const newCol = (name: string) => after.columns.find((c) => lc(c.name) === lc(name));
  const olds = source.indexes.filter((i) => i.unique);
  const news = after.indexes.filter((i) => i.unique);
  const reasons: string[] = [];
  let first: TypeChange | null | undefined; // the first candidate's type-change failure (null: it failed otherwise)
  for (const u of olds) {
    const problem = oldKeyProblem(u, oldCol, newCol, newName);
    if (problem) {
      reasons.push(`${show(u)}: ${problem}`);
      first ??= null;
      continue;
    }
    const covering = news.filter((v) => u.columns.every((c) => v.columns.some((n) => lc(n) === lc(c))));
    if (covering.length === 0) {
      reasons.push(`${show(u)}: no unique key of the new table contains (${u.columns.join(', ')})`);
      first ??= null;
      continue;
    }
    for (const v of covering) {
      const columns = [...u.columns, ...v.columns.filter((n) => !u.columns.some((c) => lc(c) === lc(n))).map((n) => oldCol(n)?.name ?? n)];
      const why = newKeyProblem(columns, oldCol, newCol);
      if (!why) return { columns, index: u.name, shadowIndex: v.name };
      reasons.push(`${show(u)} with the new ${show(v)}: ${typeof why === 'string' ? why : `the ALTER changes column ${why.column} from ${why.from} to ${why.to}, which ${why.why}`}`);
      first ??= typeof why === 'string' ? null : why;
    }
  }
  if (first) throw new KeyColumnChangeError(source.schema, source.name, first.column, first.from, first.to, first.why);
  throw new NoUsableKeyError(source.schema, source.name, reasons);
}

function oldKeyProblem(
  u: IndexInfo, oldCol: (n: string) => ColumnInfo | undefined, newCol: (n: string) => NewTable['columns'][number] | undefined,
  newName: ReadonlyMap<string, string>,
): string | undefined {
  for (const name of u.columns) {
    const from = oldCol(name);
    if (!from) return `${name} is an expression, not a column`;
    if (from.nullable) return `column ${name} allows NULL`;
    const renamedTo = newName.get(lc(name));
    if (renamedTo !== undefined && lc(renamedTo) !== lc(name)) return `the ALTER renames column ${name} to ${renamedTo}`;
    if (!newCol(name)) return `the ALTER drops column ${name}`;
  }
  return undefined;
}

function newKeyProblem(
  columns: readonly string[], oldCol: (n: string) => ColumnInfo | undefined, newCol: (n: string) => NewTable['columns'][number] | undefined,
): string | TypeChange | undefined {
  for (const name of columns) {
    const from = oldCol(name);
    const to = newCol(name);
    if (!from) return `column ${name} is added by the ALTER (its values do not come from the old table)`;
    if (!to) return `${name} is an expression, not a column`;
    if (from.nullable) return `column ${name} allows NULL in the old table`;
    if (to.nullable) return `column ${name} allows NULL in the new table`;
    const change = keyChangeProblem(from, to);
    if (change) return { column: from.name, from: from.columnType, to: to.columnType, why: change };
    const type = unchunkableType(from);
    if (type) return `column ${name} is ${from.dataType}: ${type}`;
  }
  return undefined;
}

/** One line describing the key, for the start report and messages: `PRIMARY KEY (id, i) (walked along PRIMARY)`. */
export function describeKey(key: TableKey): string {
  const on = key.index === key.shadowIndex ? key.index : `${key.index} of the old table, ${key.shadowIndex} of the new`;
  return `(${key.columns.join(', ')}) by index ${on}`;
}
