/** Errors the copier raises on purpose. Messages are one line: the problem, then the fix. */
import { SluiceError } from '../errors.ts';
import { oneLine } from '../format.ts';


/** Copying a row would change its value (a narrower column, a bad cast): nothing of that chunk is kept. */
export class LossyConversionError extends SluiceError {
  readonly column: string | null;
  readonly warningCode: number;
  readonly warning: string;
  constructor(table: string, column: string | null, warningCode: number, warning: string) {
    const where = column === null ? table : `${table}.${column}`;
    super(
      'LOSSY_CONVERSION',
      `copying into ${where} would change data: ${oneLine(warning)}${warningCode ? ` (warning ${warningCode})` : ''}; widen the column in the ALTER or fix those rows first`,
    );
    this.column = column;
    this.warningCode = warningCode;
    this.warning = oneLine(warning);
  }
}

/**
 * The shadow table's UNIQUE index (other than the primary key) does not hold for the source rows:
 * copying or replaying them would drop a row (INSERT IGNORE skips it, REPLACE deletes another).
 * The server's own ALTER refuses the same rows (duplicate entry); nothing is cut over.
 */
export class UniqueIndexViolationError extends SluiceError {
  readonly table: string;
  /** The index the server named (null when it could not be read). */
  readonly index: string | null;
  /** The duplicated value as the server printed it (null when unknown). */
  readonly value: string | null;
  constructor(table: string, index: string | null, value: string | null, detail?: string) {
    const which = index === null ? 'a UNIQUE index' : `the UNIQUE index ${index}`;
    const dup = value === null ? '' : ` (value '${oneLine(value, 80)}' appears more than once)`;
    super(
      'UNIQUE_INDEX_VIOLATION',
      `${which} of ${table} does not hold for the source rows${dup}${detail ? `: ${oneLine(detail)}` : ''}; rows would be lost: remove the duplicates from the source or drop the UNIQUE from the ALTER, then run again`,
    );
    this.table = table;
    this.index = index;
    this.value = value;
  }
}

/** A chunk (or replay batch) kept meeting lock conflicts, shrunk to one row, for the whole time bound. */
export class ChunkRetryExhaustedError extends SluiceError {
  constructor(what: string, attempts: number, elapsed: string, cause: unknown) {
    const why = cause instanceof Error ? oneLine(cause.message) : String(cause);
    super(
      'CHUNK_RETRIES_EXHAUSTED',
      `${what} met lock conflicts for ${elapsed} without progress (${attempts} attempts, last: ${why}); ` +
        'find the transaction holding those rows, raise --lock-conflict-timeout, or run the migration again to resume',
      { cause },
    );
  }
}

/** The copier was given options or a table it cannot work with; nothing was copied. */
export class CopierSetupError extends SluiceError {
  constructor(message: string) {
    super('COPIER_SETUP', oneLine(message));
  }
}
