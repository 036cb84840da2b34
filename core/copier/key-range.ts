/**
 * WHERE fragments over the primary key, in the expanded form the range optimizer turns into a
 * range scan on PRIMARY: (a, b) > (x, y) is written `a > x OR (a = x AND b > y)`.
 * Key values are passed as placeholders exactly as they were read back from the server.
 */
import mysql from 'mysql2/promise';
import type { KeyTuple } from '../types.ts';
import { CopierSetupError } from './errors.ts';

export interface SqlFragment {
  readonly sql: string;
  readonly values: unknown[];
}

function checkTuple(columns: readonly string[], values: KeyTuple): void {
  if (columns.length === 0) throw new CopierSetupError('the table has no primary key; add one before migrating it');
  if (values.length !== columns.length || values.some((v) => v === undefined || v === null)) {
    throw new CopierSetupError(
      `a key bound has ${values.length} value(s) for a ${columns.length}-column primary key (or a NULL); pass a full primary-key tuple`,
    );
  }
}

/** `(columns) <op> (values)`, lexicographic, expanded into ORs of equality prefixes. */
function compare(columns: readonly string[], values: KeyTuple, strict: '>' | '<', last: string): SqlFragment {
  checkTuple(columns, values);
  const terms: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < columns.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      parts.push(`${mysql.escapeId(columns[j]!)} = ?`);
      params.push(values[j]);
    }
    parts.push(`${mysql.escapeId(columns[i]!)} ${i === columns.length - 1 ? last : strict} ?`);
    params.push(values[i]);
    terms.push(parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
  }
  return { sql: terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`, values: params };
}

/** Rows whose key is strictly above `values`. */
export function keyAbove(columns: readonly string[], values: KeyTuple): SqlFragment {
  return compare(columns, values, '>', '>');
}

/** Rows whose key is at most `values`. */
export function keyAtMost(columns: readonly string[], values: KeyTuple): SqlFragment {
  return compare(columns, values, '<', '<=');
}

/** `lower < key <= upper` (null = unbounded); null when both ends are open. */
export function keyRange(columns: readonly string[], lower: KeyTuple | null, upper: KeyTuple | null): SqlFragment | null {
  const parts = [lower && keyAbove(columns, lower), upper && keyAtMost(columns, upper)].filter(
    (p): p is SqlFragment => Boolean(p),
  );
  if (parts.length === 0) return null;
  return { sql: parts.map((p) => p.sql).join(' AND '), values: parts.flatMap((p) => p.values) };
}

/** Escaped, comma-separated column names. */
export function columnList(columns: readonly string[]): string {
  return columns.map((c) => mysql.escapeId(c)).join(', ');
}
