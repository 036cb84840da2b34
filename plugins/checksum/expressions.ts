/**
 * The per-row checksum expression of each side. Every mapped column becomes a string in one
 * canonical form decided by the SHADOW column's type, so both sides hash the same bytes:
 *  - source side: the source column converted the way INSERT … SELECT converted it (only when the
 *    types differ): CAST to the shadow's integer/DECIMAL(p,s)/FLOAT/DOUBLE/DATE/DATETIME(n)/TIME(n),
 *    CONVERT to the shadow's character set (trailing spaces trimmed for CHAR), CAST AS BINARY(n);
 *  - both sides: text as utf8mb4_bin (long text, JSON and blobs as their CRC32), short binary as HEX,
 *    BIT as an unsigned integer; numbers and temporals as the server prints them (time_zone +00:00);
 *    a column whose type does not change is hashed as its bytes (no conversion on either side).
 * The row string is CONCAT_WS('#', v1, …, vn, nullmask); nullmask = CONCAT(ISNULL(v1), …) keeps
 * NULL apart from '' (CONCAT_WS skips NULLs). Its hash is CRC32(CRC32(row string)): CRC32 is affine
 * over strings of equal length, so a BIT_XOR of plain CRC32s cannot see values swapped between two
 * rows (crc(1#aa) ^ crc(2#bb) = crc(1#bb) ^ crc(2#aa)); hashing the decimal text of the first CRC
 * again breaks that linearity at the cost of a CRC over ten bytes (see README.md for the numbers).
 * A chunk's checksum is COUNT(*) and BIT_XOR of the row hashes.
 */
import mysql from 'mysql2/promise';
import type { ColumnInfo, ColumnMapping, TableInfo } from '../../plugin-api.ts';
import { ChecksumSetupError } from './errors.ts';

const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const SHORT_TEXT = new Set(['char', 'varchar', 'enum', 'set']);
const LONG_TEXT = new Set(['tinytext', 'text', 'mediumtext', 'longtext']);
const SHORT_BINARY = new Set(['binary', 'varbinary']);
const LONG_BINARY = new Set([
  'tinyblob', 'blob', 'mediumblob', 'longblob', 'geometry', 'point', 'linestring', 'polygon',
  'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection',
]);

/** The numbers in a column type's parentheses: decimal(12,4) -> [12, 4], datetime(3) -> [3]. */
function typeArgs(columnType: string): number[] {
  const m = /^\w+\((\d+)(?:,(\d+))?\)/.exec(columnType);
  return m ? [Number(m[1]), ...(m[2] === undefined ? [] : [Number(m[2])])] : [];
}

function charsetName(column: ColumnInfo): string | null {
  if (!column.charset) return null;
  if (!/^\w+$/.test(column.charset)) throw new ChecksumSetupError(`column ${column.name} has an unexpected character set name "${column.charset}"; report this`);
  return column.charset;
}

function sameType(a: ColumnInfo, b: ColumnInfo): boolean {
  return a.columnType.toLowerCase() === b.columnType.toLowerCase() && a.charset === b.charset && a.collation === b.collation;
}

/** The source value as the shadow column stores it (what INSERT … SELECT did to it). */
export function convertToShadowType(expr: string, from: ColumnInfo, to: ColumnInfo): string {
  if (sameType(from, to)) return expr;
  const t = to.dataType.toLowerCase();
  const args = typeArgs(to.columnType.toLowerCase());
  if (INTEGER.has(t)) return INTEGER.has(from.dataType.toLowerCase()) ? expr : `CAST(${expr} AS ${to.unsigned ? 'UNSIGNED' : 'SIGNED'})`;
  if (t === 'decimal' || t === 'numeric') return `CAST(${expr} AS DECIMAL(${args[0] ?? 10},${args[1] ?? 0}))`;
  if (t === 'float') return `CAST(${expr} AS FLOAT)`;
  if (t === 'double' || t === 'real') return `CAST(${expr} AS DOUBLE)`;
  if (t === 'date') return `CAST(${expr} AS DATE)`;
  if (t === 'datetime' || t === 'timestamp') return `CAST(${expr} AS DATETIME(${args[0] ?? 0}))`;
  if (t === 'time') return `CAST(${expr} AS TIME(${args[0] ?? 0}))`;
  if (t === 'bit') return `CAST(${expr} AS UNSIGNED)`;
  if (t === 'json') return `CAST(${expr} AS JSON)`;
  if (t === 'binary') return `CAST(${expr} AS BINARY(${args[0] ?? 1}))`;
  if (t === 'varbinary' || t.endsWith('blob')) return `CAST(${expr} AS BINARY)`;
  if (SHORT_TEXT.has(t) || LONG_TEXT.has(t)) {
    const cs = charsetName(to);
    const converted = cs ? `CONVERT(${expr} USING ${cs})` : expr;
    return t === 'char' && from.dataType.toLowerCase() !== 'char' ? `TRIM(TRAILING ' ' FROM ${converted})` : converted;
  }
  return expr;
}

/**
 * The canonical string form of a value already in the shadow column's type. `same`: the source
 * column has exactly the shadow's type, charset and collation and no conversion expression, so both
 * sides hold the same bytes: text is hashed as those bytes, without a conversion. Long values
 * (text, JSON, blobs) go into the row string as their CRC32 (hashed as they are read; a difference
 * is missed with probability 2^-32, as by the row hash itself).
 */
export function canonical(expr: string, to: ColumnInfo, same = false): string {
  const t = to.dataType.toLowerCase();
  if (same && (SHORT_TEXT.has(t) || SHORT_BINARY.has(t))) return `CAST(${expr} AS BINARY)`;
  if (same && (LONG_TEXT.has(t) || t === 'json' || LONG_BINARY.has(t))) return `CRC32(${expr})`;
  if (SHORT_TEXT.has(t)) return `CONVERT(${expr} USING utf8mb4) COLLATE utf8mb4_bin`;
  if (LONG_TEXT.has(t)) return `CRC32(CONVERT(${expr} USING utf8mb4))`;
  if (t === 'json') return `CRC32(CAST(${expr} AS CHAR CHARACTER SET utf8mb4))`;
  if (SHORT_BINARY.has(t)) return `HEX(${expr})`;
  if (LONG_BINARY.has(t)) return `CRC32(${expr})`;
  if (t === 'bit') return `CAST(${expr} AS UNSIGNED)`;
  return expr;
}

/** The per-row hash: non-linear, so that no swap of values between rows cancels out in BIT_XOR. */
export function rowHash(values: readonly string[]): string {
  const mask = `CONCAT(${values.map((v) => `ISNULL(${v})`).join(', ')})`;
  return `CRC32(CRC32(CONCAT_WS('#', ${values.join(', ')}, ${mask})))`;
}

function column(table: TableInfo, name: string): ColumnInfo {
  const found = table.columns.find((c) => c.name === name);
  if (!found) throw new ChecksumSetupError(`column ${name} of the copy mapping is not in ${table.schema}.${table.name}; report this (the mapping does not match the inspected table)`);
  return found;
}

/** The aggregate select lists for the source and the shadow table. */
export interface ChecksumSelects {
  readonly source: string;
  readonly shadow: string;
}

export function checksumSelects(source: TableInfo, shadow: TableInfo, mapping: ColumnMapping): ChecksumSelects {
  if (mapping.source.length === 0 || mapping.source.length !== mapping.target.length) {
    throw new ChecksumSetupError(`the copy mapping pairs ${mapping.source.length} source with ${mapping.target.length} shadow column(s); report this`);
  }
  const src: string[] = [];
  const dst: string[] = [];
  mapping.source.forEach((name, i) => {
    const from = column(source, name);
    const to = column(shadow, mapping.target[i]!);
    // The mapping's own expression when it has one (a DATETIME ↔ TIMESTAMP conversion in the user's zone).
    const expression = mapping.expressions?.[i];
    const converted = convertToShadowType(expression ?? mysql.escapeId(from.name), from, to);
    const same = expression === undefined && sameType(from, to);
    src.push(canonical(converted, to, same));
    dst.push(canonical(mysql.escapeId(to.name), to, same));
  });
  const select = (values: string[]) => `COUNT(*) AS n, BIT_XOR(${rowHash(values)}) AS crc`;
  return { source: select(src), shadow: select(dst) };
}

/** SELECT <aggregates> FROM schema.table FORCE INDEX (<the key's index>) WHERE <range>. */
export function chunkChecksumSql(schema: string, table: string, select: string, where: string, index = 'PRIMARY'): string {
  return `SELECT ${select} FROM ${mysql.escapeId(schema)}.${mysql.escapeId(table)} FORCE INDEX (${mysql.escapeId(index)}) WHERE ${where}`;
}
