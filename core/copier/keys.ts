/**
 * Exact integer keys: a single integer PK column can be compared in JS (BigInt), which the
 * arithmetic chunker and the high-watermark test rely on. Values are stored in KeyTuples as
 * numbers when safe and as decimal strings beyond 2^53 (like mysql2 returns BIGINT), so tuples
 * stay JSON-serializable for the checkpoint.
 */
import type { TableInfo } from '../table/types.ts';
import { tableKey } from '../table/key.ts';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

/** True when the key (TableInfo.key, else the PK) is one integer column. */
export function hasIntegerKey(table: TableInfo): boolean {
  const key = tableKey(table).columns;
  if (key.length !== 1) return false;
  const column = table.columns.find((c) => c.name === key[0]);
  return column !== undefined && INTEGER_TYPES.has(column.dataType.toLowerCase());
}

/** An integer key value as a BigInt, or null when it is not an exact integer. */
export function parseIntKey(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  return null;
}

/** The KeyTuple form of an integer: a number when exact, else its decimal string. */
export function intKeyValue(value: bigint): number | string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value.toString();
}
