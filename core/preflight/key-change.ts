/**
 * keyChangeProblem: a key column may change type only where every key value keeps
 * its identity, so that the copy (INSERT IGNORE by key) and replay (DELETE/REPLACE by the source's
 * key values) find each row again in the shadow. Allowed: integer → integer or DECIMAL (a value
 * that does not fit fails the copy as lossy), DECIMAL to a scale at least as large, a longer or
 * equal CHAR/VARCHAR/VARBINARY with the same collation (CHAR → VARCHAR too), BINARY(n) →
 * VARBINARY(m ≥ n), a temporal type to the same type with at least the same fractional digits.
 * Everything else (rounding, truncation, another collation or character set, type families,
 * DATETIME ↔ TIMESTAMP) is refused: it can round or collapse keys.
 */
import type { ColumnInfo } from '../table/types.ts';

/** What the check needs of a column (the probe's SHOW FULL COLUMNS gives as much). */
export type KeyColumnType = Pick<ColumnInfo, 'name' | 'columnType' | 'collation'>;

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const TEXT = new Set(['char', 'varchar']);
const TEMPORAL = new Set(['datetime', 'timestamp', 'time']);

interface Parsed { base: string; args: number[] }

function parseType(columnType: string): Parsed {
  const m = /^(\w+)(?:\((\d+)(?:,(\d+))?\))?/.exec(columnType.trim().toLowerCase());
  return { base: m?.[1] ?? columnType.toLowerCase(), args: m?.[2] === undefined ? [] : [Number(m[2]), ...(m[3] === undefined ? [] : [Number(m[3])])] };
}

/** Why changing a key column from `from` to `to` is unsafe, or undefined when every key keeps its identity. */
export function keyChangeProblem(from: KeyColumnType, to: KeyColumnType): string | undefined {
  const sameCollation = (from.collation ?? null) === (to.collation ?? null);
  if (from.columnType.toLowerCase() === to.columnType.toLowerCase() && sameCollation) return undefined;
  if (!sameCollation) return `changes its collation from ${from.collation ?? 'none'} to ${to.collation ?? 'none'} (keys that differ only in case, accents or trailing spaces could collapse)`;
  const a = parseType(from.columnType);
  const b = parseType(to.columnType);
  if (INTEGER.has(a.base) && INTEGER.has(b.base)) return undefined;
  if ((INTEGER.has(a.base) || a.base === 'decimal') && b.base === 'decimal') {
    return INTEGER.has(a.base) || (b.args[1] ?? 0) >= (a.args[1] ?? 0) ? undefined : 'rounds key values to fewer decimals';
  }
  if (TEXT.has(a.base) && TEXT.has(b.base)) {
    if (a.base === 'varchar' && b.base === 'char') return 'strips trailing spaces from key values';
    return (b.args[0] ?? 1) >= (a.args[0] ?? 1) ? undefined : 'shortens key values';
  }
  if ((a.base === 'varbinary' || a.base === 'binary') && b.base === 'varbinary') {
    return (b.args[0] ?? 1) >= (a.args[0] ?? 1) ? undefined : 'shortens key values';
  }
  if (TEMPORAL.has(a.base) && a.base === b.base) {
    return (b.args[0] ?? 0) >= (a.args[0] ?? 0) ? undefined : 'rounds fractional seconds of key values';
  }
  return 'converts key values to another type';
}
