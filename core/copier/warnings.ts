/**
 * After a chunk: any warning other than a duplicate key (1062, expected with INSERT IGNORE)
 * means a value changed on the way (truncation, out of range, bad cast) and is fatal.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { LossyConversionError } from './errors.ts';

export const ER_DUP_ENTRY = 1062;

interface WarningRow {
  Level: string;
  Code: number | string;
  Message: string;
}

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

/** Throws LossyConversionError when the statement that produced `header` left a non-duplicate warning. */
export async function checkCopyWarnings(conn: Queryable, header: ResultSetHeader, table: string): Promise<void> {
  const count = header.warningStatus ?? 0;
  if (count === 0) return;
  const warnings = await queryRows<WarningRow>(conn, 'SHOW WARNINGS');
  const bad = warnings.find((w) => Number(w.Code) !== ER_DUP_ENTRY);
  if (bad) throw new LossyConversionError(table, warningColumn(String(bad.Message)), Number(bad.Code), String(bad.Message));
  // SHOW WARNINGS lists at most max_error_count entries: account for the ones it left out.
  const duplicates = duplicatesFromInfo(header.info);
  if (warnings.length < count && (duplicates === null || duplicates < count)) {
    throw new LossyConversionError(
      table, null, 0,
      `${count} warnings, of which only ${warnings.length} duplicate-key warnings could be read (max_error_count)`,
    );
  }
}
