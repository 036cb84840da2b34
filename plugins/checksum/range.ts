/** A chunk's key range for messages: "(id) > 100 and <= 200", "(a, b) <= ('x', 3)", "all rows". */
import type { KeyTuple } from '../../plugin-api.ts';

function tuple(values: KeyTuple): string {
  const parts = values.map((v) => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? String(v)));
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}

export function describeRange(keyColumns: readonly string[], lower: KeyTuple | null, upper: KeyTuple | null): string {
  const key = `(${keyColumns.join(', ')})`;
  if (lower === null && upper === null) return `${key}: all rows`;
  if (lower === null) return `${key} <= ${tuple(upper!)}`;
  if (upper === null) return `${key} > ${tuple(lower)}`;
  return `${key} > ${tuple(lower)} and <= ${tuple(upper)}`;
}
