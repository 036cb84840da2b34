/**
 * The key a table is copied and replayed by (TableInfo.key, chosen by core/preflight/key-choice.ts),
 * or its PRIMARY KEY when none was chosen; and how each key column is read and bound in range
 * predicates, so that the server compares bounds in the column's own type.
 */
import mysql from 'mysql2/promise';
import type { ColumnInfo, TableInfo, TableKey } from './types.ts';

export function tableKey(table: TableInfo): TableKey {
  return table.key ?? { columns: table.primaryKey, index: 'PRIMARY', shadowIndex: 'PRIMARY' };
}

/** A key column as range predicates and bound queries use it. */
export interface KeyPart {
  readonly name: string;
  /** The escaped column, as predicates compare it (never an expression: the range must stay on the index). */
  readonly ref: string;
  /** What a bound query SELECTs: the column, or `col+0` for ENUM/SET (the member's index, a number). */
  readonly read: string;
  /**
   * How a bound is written: `?`, or `CAST(? AS DECIMAL(m,d))` for exact numerics (a DECIMAL or
   * BIGINT bound read back as a string must never be compared as a DOUBLE), or a CAST to the
   * column's temporal type.
   */
  readonly bound: string;
  /**
   * ENUM only: the number of members. MariaDB's range optimizer uses an ENUM index for `=` and `IN`
   * but not for `<`/`>` (measured on 10.11: a full index scan per chunk), so an inequality on an
   * ENUM part is written as the IN list of the member indexes it admits (key-range.ts).
   */
  readonly members?: number;
}

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const CAST_TEMPORAL = new Set(['datetime', 'time', 'date']);

/** How `column` is read and bound (a bare name: read and compared as is). */
export function keyPart(column: ColumnInfo | string): KeyPart {
  if (typeof column === 'string') return { name: column, ref: mysql.escapeId(column), read: mysql.escapeId(column), bound: '?' };
  const ref = mysql.escapeId(column.name);
  const name = column.name;
  const type = column.dataType.toLowerCase();
  if (type === 'enum') return { name, ref, read: `${ref}+0`, bound: '?', members: enumMembers(column.columnType) };
  if (type === 'set') return { name, ref, read: `${ref}+0`, bound: '?' };
  if (type === 'decimal' || type === 'numeric') {
    const m = /\((\d+)(?:,\s*(\d+))?\)/.exec(column.columnType);
    return { name, ref, read: ref, bound: `CAST(? AS DECIMAL(${m?.[1] ?? 10},${m?.[2] ?? 0}))` };
  }
  if (INTEGER.has(type)) return { name, ref, read: ref, bound: 'CAST(? AS DECIMAL(65,0))' };
  // DATETIME(6)/TIME(6) whatever the column's precision: a CAST never rounds a bound read from the column.
  if (CAST_TEMPORAL.has(type)) return { name, ref, read: ref, bound: type === 'date' ? 'CAST(? AS DATE)' : `CAST(? AS ${type.toUpperCase()}(6))` };
  return { name, ref, read: ref, bound: '?' };
}

/** The key parts of the table's key, in key order. */
export function keyParts(table: TableInfo): KeyPart[] {
  return tableKey(table).columns.map((name) => {
    const info = table.columns.find((c) => c.name === name) ?? table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    return keyPart(info ?? name);
  });
}

/** Why a column's values cannot bound chunks exactly (they do not read back or compare exactly), or undefined. */
export function unchunkableType(column: Pick<ColumnInfo, 'dataType'>): string | undefined {
  const type = column.dataType.toLowerCase();
  if (type === 'float' || type === 'double' || type === 'real') return 'approximate values do not read back exactly';
  if (['json', 'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection'].includes(type)) {
    return 'values of this type have no exact order';
  }
  return undefined;
}

/** How many members `enum('a','b''c',…)` declares (quotes doubled inside a member). */
export function enumMembers(columnType: string): number {
  const body = columnType.slice(columnType.indexOf('(') + 1, columnType.lastIndexOf(')'));
  return (body.match(/'(?:[^']|'')*'/g) ?? []).length;
}
