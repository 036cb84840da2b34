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

/**
 * One comparison `part op value`. An ENUM part with a numeric bound (the member's index) and an
 * inequality becomes the IN list of the indexes it admits (0, the invalid '' value, included), so
 * the range optimizer keeps a range scan; the list is built from integers only, never from input.
 */
function term(p: KeyPart, op: string, value: unknown, params: unknown[]): string {
  if (p.members !== undefined && op !== '=' && typeof value === 'number' && Number.isInteger(value)) {
    const admitted: number[] = [];
    for (let m = 0; m <= p.members; m++) {
      if (op === '>' ? m > value : op === '<' ? m < value : m <= value) admitted.push(m);
    }
    return admitted.length === 0 ? '0 = 1' : `${p.ref} IN (${admitted.join(', ')})`;
  }
  params.push(value);
  return `${p.ref} ${op} ${p.bound}`;
}

/** `(columns) <op> (values)`, lexicographic, expanded into ORs of equality prefixes. */
function compare(keyColumns: readonly KeyColumnRef[], values: KeyTuple, strict: '>' | '<', last: string): SqlFragment {
  checkTuple(keyColumns, values);
  const columns = keyColumns.map(part);
  const terms: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < columns.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) parts.push(term(columns[j]!, '=', values[j], params));
    parts.push(term(columns[i]!, i === columns.length - 1 ? last : strict, values[i], params));
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
