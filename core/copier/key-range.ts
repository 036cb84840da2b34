/**
 * WHERE fragments over the primary key, in the expanded form the range optimizer turns into a
 * range scan on PRIMARY: (a, b) > (x, y) is written `a > x OR (a = x AND b > y)`.
 * Key values are passed as placeholders exactly as they were read back from the server, each in
 * its column's bound form (core/table/key.ts: a DECIMAL bound as `CAST(? AS DECIMAL(m,d))`, an ENUM
 * bound as the member's index), so the server compares it in the column's type.
 */
import type { KeyTuple } from '../types.ts';
import { keyPart, type KeyPart } from '../table/key.ts';
import { CopierSetupError } from './errors.ts';

/** A key column: a KeyPart, or a bare name (read and compared as is). */
export type KeyColumnRef = string | KeyPart;

const part = (c: KeyColumnRef): KeyPart => (typeof c === 'string' ? keyPart(c) : c);

export interface SqlFragment {
  readonly sql: string;
  readonly values: unknown[];
}

function checkTuple(columns: readonly KeyColumnRef[], values: KeyTuple): void {
  if (columns.length === 0) throw new CopierSetupError('the table has no primary key; add one before migrating it');
  if (values.length !== columns.length || values.some((v) => v === undefined || v === null)) {
    throw new CopierSetupError(
      `a key bound has ${values.length} value(s) for a ${columns.length}-column primary key (or a NULL); pass a full primary-key tuple`,
    );
  }
}

/** `(columns) <op> (values)`, lexicographic, expanded into ORs of equality prefixes. */
function compare(keyColumns: readonly KeyColumnRef[], values: KeyTuple, strict: '>' | '<', last: string): SqlFragment {
  checkTuple(keyColumns, values);
  const columns = keyColumns.map(part);
  const terms: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < columns.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      parts.push(`${columns[j]!.ref} = ${columns[j]!.bound}`);
      params.push(values[j]);
    }
    parts.push(`${columns[i]!.ref} ${i === columns.length - 1 ? last : strict} ${columns[i]!.bound}`);
    params.push(values[i]);
    terms.push(parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`);
  }
  return { sql: terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`, values: params };
}

/** Rows whose key is strictly above `values`. */
export function keyAbove(columns: readonly KeyColumnRef[], values: KeyTuple): SqlFragment {
  return compare(columns, values, '>', '>');
}

/** Rows whose key is at most `values`. */
export function keyAtMost(columns: readonly KeyColumnRef[], values: KeyTuple): SqlFragment {
  return compare(columns, values, '<', '<=');
}

/** `lower < key <= upper` (null = unbounded); null when both ends are open. */
export function keyRange(columns: readonly KeyColumnRef[], lower: KeyTuple | null, upper: KeyTuple | null): SqlFragment | null {
  const parts = [lower && keyAbove(columns, lower), upper && keyAtMost(columns, upper)].filter(
    (p): p is SqlFragment => Boolean(p),
  );
  if (parts.length === 0) return null;
  return { sql: parts.map((p) => p.sql).join(' AND '), values: parts.flatMap((p) => p.values) };
}

/** Comma-separated column reads (escaped names, `e+0` for an ENUM part). */
export function columnList(columns: readonly KeyColumnRef[]): string {
  return columns.map((c) => part(c).read).join(', ');
}
