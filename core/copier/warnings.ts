/**
 * The one rule for what a statement that writes the shadow table may leave in SHOW WARNINGS
 * (the copier's INSERT IGNORE … SELECT and replay's REPLACE … SELECT both use it):
 *  - 1062 "Duplicate entry 'v' for key 'PRIMARY'": the row is already there (overlap with replay
 *    or a resumed run), harmless;
 *  - 1062 on any other key: a UNIQUE index of the shadow does not hold for the source rows and the
 *    row would be dropped: UniqueIndexViolationError naming the index and the value;
 *  - anything else: a value changed on the way (truncation, out of range, bad cast):
 *    LossyConversionError naming the column.
 * The same conversions raised as errors (strict sql_mode without IGNORE) map to LossyConversionError.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { LossyConversionError, UniqueIndexViolationError } from './errors.ts';

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

/**
 * Applies the rule to a warning list; throws the typed error it calls for. Returns how many
 * warnings were harmless duplicates on the primary key.
 */
export function classifyWarnings(warnings: readonly WarningRow[], table: string): number {
  let primary = 0;
  for (const w of warnings) {
    const code = Number(w.Code);
    const message = String(w.Message);
    if (code === ER_DUP_ENTRY) {
      const dup = duplicateEntry(message, table);
      if (dup && dup.key.toUpperCase() === 'PRIMARY') {
        primary++;
        continue;
      }
      throw new UniqueIndexViolationError(table, dup ? dup.key : null, dup ? dup.value : null, dup ? undefined : message);
    }
    throw new LossyConversionError(table, warningColumn(message), code, message);
  }
  return primary;
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
 * After a chunk: applies the rule to its warnings. SHOW WARNINGS lists at most max_error_count
 * entries: when some were left out and the server counts them all as duplicates, `droppedRow`
 * tells whether a source row of the chunk is missing from the shadow (a duplicate on another
 * UNIQUE index); any other shortfall is a lossy conversion the list did not show.
 */
export async function checkCopyWarnings(
  conn: Queryable, header: ResultSetHeader, table: string, droppedRow: () => Promise<string | null>,
): Promise<void> {
  const count = header.warningStatus ?? 0;
  if (count === 0) return;
  const warnings = await readWarnings(conn, header);
  classifyWarnings(warnings, table);
  if (warnings.length >= count) return;
  const duplicates = duplicatesFromInfo(header.info);
  if (duplicates === null || duplicates < count) {
    throw new LossyConversionError(
      table, null, 0,
      `${count} warnings, of which only ${warnings.length} duplicate-key warnings could be read (max_error_count)`,
    );
  }
  const missing = await droppedRow();
  if (missing !== null) {
    throw new UniqueIndexViolationError(table, null, null, `the source row with key ${missing} was not copied (only ${warnings.length} of ${count} duplicate-key warnings could be read)`);
  }
}
