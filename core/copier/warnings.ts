/**
 * The one rule for what a statement that writes the shadow table may leave in SHOW WARNINGS
 * (the copier's INSERT IGNORE … SELECT and replay's REPLACE … SELECT both use it):
 *  - 1062 "Duplicate entry 'v' for key 'PRIMARY'": the row is already there (overlap with replay
 *    or a resumed run), harmless;
 *  - 1062 on any other key: a UNIQUE index of the shadow met a row holding the value: a stale row
 *    (harmless once handled) or a duplicate in the source (rows would be lost). The caller decides
 *    with unique-check.ts (UniqueIndexViolationError naming the index and the value);
 *  - anything else: a value changed on the way (truncation, out of range, bad cast):
 *    LossyConversionError naming the column.
 * The same conversions raised as errors (strict sql_mode without IGNORE) map to LossyConversionError.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { LossyConversionError } from './errors.ts';

export const ER_DUP_ENTRY = 1062;

export interface WarningRow {
  Level: string;
  Code: number | string;
  Message: string;
}

/** Server errors that mean "this value does not fit the column" (as warnings under IGNORE). */
const CONVERSION_ERRORS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1263, // ER_WARN_NULL_TO_NOTNULL
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE
  1300, // ER_INVALID_CHARACTER_STRING
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1367, // ER_ILLEGAL_VALUE_FOR_TYPE
  1406, // ER_DATA_TOO_LONG
]);

/** The column a server warning names, e.g. "Out of range value for column 'v' at row 1". */
export function warningColumn(message: string): string | null {
  const qualified = /column `[^`]*`\.`[^`]*`\.`([^`]+)`/.exec(message);
  if (qualified) return qualified[1]!;
  const quoted = /column ['`]([^'`]+)['`]/i.exec(message);
  return quoted ? quoted[1]! : null;
}

/** "Records: 10  Duplicates: 2  Warnings: 3" → 2 (null when the server did not say). */
export function duplicatesFromInfo(info: string | undefined): number | null {
  const m = /Duplicates:\s*(\d+)/.exec(info ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * "Duplicate entry '5-x' for key 'uq_c'" → { value: '5-x', key: 'uq_c' }. MySQL 8 qualifies the key
 * with the table (`'_t_new.uq_c'`): that prefix is removed when it is the given table's name.
 */
export function duplicateEntry(message: string, table: string): { value: string; key: string } | null {
  const head = "Duplicate entry '";
  const sep = "' for key '";
  const at = message.lastIndexOf(sep);
  if (!message.startsWith(head) || at < head.length || !message.endsWith("'")) return null;
  let key = message.slice(at + sep.length, -1);
  if (key.startsWith(`${table}.`)) key = key.slice(table.length + 1);
  return { value: message.slice(head.length, at), key };
}

export interface DuplicateEntry {
  readonly key: string | null;
  readonly value: string | null;
}

/**
 * Applies the rule to a warning list: throws LossyConversionError for a changed value; returns the
 * count of harmless duplicates on the primary key and the duplicates on other keys.
 */
export function classifyWarnings(
  warnings: readonly WarningRow[], table: string, keyIndex = 'PRIMARY',
): { primary: number; secondary: DuplicateEntry[] } {
  let primary = 0;
  const secondary: DuplicateEntry[] = [];
  for (const w of warnings) {
    const code = Number(w.Code);
    const message = String(w.Message);
    if (code !== ER_DUP_ENTRY) throw new LossyConversionError(table, warningColumn(message), code, message);
    const dup = duplicateEntry(message, table);
    if (dup && dup.key.toUpperCase() === keyIndex.toUpperCase()) primary++;
    else secondary.push({ key: dup ? dup.key : null, value: dup ? dup.value : null });
  }
  return { primary, secondary };
}

/** The typed error for a failed write whose cause is a value that does not fit (else null). */
export function conversionError(err: unknown, table: string): LossyConversionError | null {
  const e = err as { errno?: unknown; message?: unknown } | null;
  if (typeof e?.errno !== 'number' || !CONVERSION_ERRORS.has(e.errno)) return null;
  const message = String(e.message ?? '');
  return new LossyConversionError(table, warningColumn(message), e.errno, message);
}

/** SHOW WARNINGS of the statement that produced `header` (none read when it reported none). */
export async function readWarnings(conn: Queryable, header: ResultSetHeader): Promise<WarningRow[]> {
  if ((header.warningStatus ?? 0) === 0) return [];
  return queryRows<WarningRow>(conn, 'SHOW WARNINGS');
}

/**
 * After a chunk: applies the rule to its warnings. A duplicate on another key than PRIMARY means a
 * row was skipped: `resolveSkipped` re-applies the skipped rows or throws UniqueIndexViolationError
 * (dropped-rows.ts); it returns the rows it wrote. SHOW WARNINGS lists at most max_error_count
 * entries: when some were left out, more warnings than the duplicates the server counted is a lossy
 * conversion the list did not show; otherwise the unlisted duplicates are resolved the same way.
 */
export async function checkCopyWarnings(
  conn: Queryable, header: ResultSetHeader, table: string, resolveSkipped: () => Promise<number>, keyIndex = 'PRIMARY',
): Promise<number> {
  const count = header.warningStatus ?? 0;
  if (count === 0) return 0;
  const warnings = await readWarnings(conn, header);
  const { secondary } = classifyWarnings(warnings, table, keyIndex);
  const unlisted = warnings.length < count;
  if (unlisted) {
    const duplicates = duplicatesFromInfo(header.info);
    if (duplicates === null || duplicates < count) {
      throw new LossyConversionError(
        table, null, 0,
        `${count} warnings, of which only ${warnings.length} duplicate-key warnings could be read (max_error_count)`,
      );
    }
  }
  return secondary.length > 0 || unlisted ? resolveSkipped() : 0;
}
