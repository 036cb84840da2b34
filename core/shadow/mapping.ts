/**
 * Which source column feeds each shadow column, and the primary-key check. Pure: no server.
 * Column names compare case-insensitively, as the server does.
 *
 * The statement's clauses all name the ORIGINAL table's columns (as the server reads them): a
 * column that is dropped, or renamed to another name, is gone, whatever the statement adds later
 * under its name (`DROP c, ADD c …`, `RENAME COLUMN a TO b, ADD a …`); a rename's target takes the
 * original column (`RENAME a TO b, RENAME b TO a` swaps).
 */
import { chooseKey } from '../preflight/key-choice.ts';
import mysql from 'mysql2/promise';
import type { UserSession } from '../connection/user-session.ts';
import type { ColumnInfo, ColumnMapping, TableInfo } from '../table/types.ts';
import type { AlterClause } from '../statement/types.ts';
import { endedColumns } from '../preflight/generated.ts';
import { ShadowPrimaryKeyError } from './errors.ts';
import { sessionZone, zoneConversion } from './time-zone.ts';

const lc = (name: string) => name.toLowerCase();

export interface ShadowColumns {
  mapping: ColumnMapping;
  /** Non-generated shadow columns with no source column: they take their defaults. */
  added: string[];
  /** Source columns (generated or not) with no shadow column: their data is not carried. */
  dropped: string[];
}

export interface MappingOptions {
  /** The statement's clauses: `DROP [COLUMN]` names end an original column. */
  clauses?: readonly AlterClause[];
  /** The user's session: DATETIME ↔ TIMESTAMP pairs convert in its time zone (time-zone.ts). */
  session?: Pick<UserSession, 'timeZone' | 'systemTimeZone'>;
}

export function mapColumns(source: TableInfo, shadow: TableInfo, renamed: ReadonlyMap<string, string>, options: MappingOptions = {}): ShadowColumns {
  const sourceByLc = new Map(source.columns.map((c) => [lc(c.name), c]));
  const renamedFrom = new Map([...renamed].map(([oldName, newName]) => [lc(newName), oldName]));
  const ended = endedColumns(renamed, options.clauses ?? []);
  const zone = options.session ? sessionZone(options.session) : { kind: 'utc' as const };
  const pairs: { from: ColumnInfo; to: ColumnInfo }[] = [];
  const added: string[] = [];
  const used = new Set<string>();
  for (const column of shadow.columns) {
    const key = lc(column.name);
    const old = renamedFrom.get(key);
    const from = old !== undefined ? sourceByLc.get(lc(old)) : ended.has(key) ? undefined : sourceByLc.get(key);
    if (from !== undefined) used.add(lc(from.name));
    if (column.generated) continue;
    if (from === undefined) added.push(column.name);
    else pairs.push({ from, to: column });
  }
  const dropped = source.columns.filter((c) => !used.has(lc(c.name))).map((c) => c.name);
  const mapping: { source: string[]; target: string[]; expressions?: string[] } = {
    source: pairs.map((p) => p.from.name),
    target: pairs.map((p) => p.to.name),
  };
  const converted = pairs.map((p) => zoneConversion(mysql.escapeId(p.from.name, true), p.from, p.to, zone));
  if (converted.some((e) => e !== undefined)) {
    mapping.expressions = converted.map((e, i) => e ?? mysql.escapeId(pairs[i]!.from.name, true));
  }
  return { mapping, added, dropped };
}

/** What to SELECT from the source for each mapped pair: the column, or its conversion. */
export function selectExpressions(mapping: ColumnMapping): string[] {
  return mapping.expressions ? [...mapping.expressions] : mapping.source.map((c) => mysql.escapeId(c, true));
}

/**
 * The shadow must support the key chosen for the source (TableInfo.key; without one, the key
 * chosen on the old table alone): choosing again on the real shadow (core/preflight/key-choice.ts)
 * must give the same key. Throws NoUsableKeyError / KeyColumnChangeError when no key qualifies,
 * ShadowPrimaryKeyError when another one would be chosen.
 */
export function checkShadowKey(source: TableInfo, shadow: TableInfo, renamed: ReadonlyMap<string, string>): void {
  const expected = source.key ?? chooseKey(source, source);
  const actual = chooseKey(source, shadow, renamed);
  const same = expected.index === actual.index && lc(expected.shadowIndex) === lc(actual.shadowIndex)
    && expected.columns.length === actual.columns.length && expected.columns.every((c, i) => lc(c) === lc(actual.columns[i]!));
  if (!same) throw new ShadowPrimaryKeyError(source.schema, source.name, expected.columns, actual.columns);
}
