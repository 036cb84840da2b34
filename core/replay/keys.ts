/**
 * Primary keys as decoded from row events, made exact for re-selecting the same row:
 * - integer and DECIMAL values that arrive as strings (beyond 2^53, or DECIMAL digits) are put in
 *   SQL as bare numeric literals: a quoted '12345678901234.123456' in an IN list is compared as a
 *   DOUBLE and also matches its neighbours;
 * - BINARY(n) values are padded back to n bytes (the row image strips trailing zero bytes);
 * - temporal values arrive as exact strings (the stream is opened with dateStrings, timezone 'Z');
 * - text in a charset other than UTF-8 arrives as its stored bytes (the replayer has zongji decode
 *   those key columns as 'binary', see replayer.ts) and goes back as `_charset X'…'`: zongji's
 *   iconv decoding is lossy there (MySQL's latin1 0x81 becomes U+FFFD under cp1252, and a string
 *   the column's charset cannot hold fails the IN list with "Illegal mix of collations").
 */
import mysql, { type SqlValue } from 'mysql2/promise';
import type { KeyTuple } from '../types.ts';
import type { ColumnInfo, TableInfo } from '../table/types.ts';
import { tableKey } from '../table/key.ts';

const EXACT_NUMERIC = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric']);
const NUMERIC_LITERAL = /^-?\d+(\.\d+)?$/;
const UTF8_CHARSETS = new Set(['utf8', 'utf8mb3', 'utf8mb4']);
const CHARSET_NAME = /^[a-z0-9_]+$/;

export interface KeyColumn {
  readonly name: string;
  readonly info: ColumnInfo | undefined;
  /** BINARY(n): the fixed width to pad to. */
  readonly binaryWidth: number | undefined;
  /** A text column in a charset other than UTF-8: its values travel as the stored bytes. */
  readonly rawBytes: boolean;
}

/** True for a text column whose charset is not UTF-8 (zongji must hand its key values over undecoded). */
export function needsRawBytes(info: ColumnInfo | undefined): boolean {
  const charset = info?.charset?.toLowerCase();
  return charset !== undefined && charset !== 'binary' && !UTF8_CHARSETS.has(charset) && CHARSET_NAME.test(charset);
}

/** The key columns (TableInfo.key, else the PK) as replay reads them from row images. */
export function keyColumns(table: TableInfo): KeyColumn[] {
  return tableKey(table).columns.map((name) => {
    const info = table.columns.find((c) => c.name === name) ?? table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    const width = info && /^binary\((\d+)\)/i.exec(info.columnType);
    return { name, info, binaryWidth: width ? Number(width[1]) : undefined, rawBytes: needsRawBytes(info) };
  });
}

/** The key tuple of a decoded row, or undefined when the row lacks a key column. */
export function keyOfRow(row: Record<string, unknown>, columns: readonly KeyColumn[]): KeyTuple | undefined {
  const key: unknown[] = [];
  for (const col of columns) {
    let value = col.name in row ? row[col.name] : findCaseInsensitive(row, col.name);
    if (value === undefined) return undefined;
    // Decoded as 'binary' (one character per byte): back to the stored bytes.
    if (col.rawBytes && typeof value === 'string') value = Buffer.from(value, 'latin1');
    if (Buffer.isBuffer(value) && col.binaryWidth !== undefined && value.length < col.binaryWidth) {
      const padded = Buffer.alloc(col.binaryWidth, 0);
      value.copy(padded);
      value = padded;
    }
    key.push(value);
  }
  return key;
}

function findCaseInsensitive(row: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(row)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** A string identity for deduplication: equal tuples give equal ids, distinct bytes distinct ids. */
export function keyId(key: KeyTuple): string {
  return JSON.stringify(key.map((v) => {
    if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
    if (typeof v === 'string') return `s${v}`;
    if (typeof v === 'number' || typeof v === 'bigint') return `n${String(v)}`;
    if (v === null) return 'z';
    if (v instanceof Date) return `d${v.toISOString()}`;
    return `o${String(v)}`;
  }));
}

/** A key value ready for mysql.format: exact numeric strings become bare literals. */
function sqlValue(value: unknown, col: KeyColumn): SqlValue {
  if (typeof value === 'string' && col.info && EXACT_NUMERIC.has(col.info.dataType.toLowerCase()) && NUMERIC_LITERAL.test(value)) {
    return mysql.raw(value);
  }
  if (typeof value === 'bigint') return mysql.raw(value.toString());
  if (Buffer.isBuffer(value) && col.rawBytes) return mysql.raw(`_${col.info!.charset!.toLowerCase()} X'${value.toString('hex')}'`);
  return value as SqlValue;
}

/**
 * `pk IN (…)` for one column, `(a, b) IN ((…), (…))` for a composite key, over the given
 * (already escaped) column references.
 */
export function keyPredicate(columnRefs: readonly string[], columns: readonly KeyColumn[], keys: readonly KeyTuple[]): string {
  if (columns.length === 1) {
    const values = keys.map((k) => sqlValue(k[0], columns[0]!));
    return mysql.format(`${columnRefs[0]} IN (?)`, [values]);
  }
  const tuples = keys.map((k) => columns.map((c, i) => sqlValue(k[i], c)));
  return mysql.format(`(${columnRefs.join(', ')}) IN (?)`, [tuples]);
}
