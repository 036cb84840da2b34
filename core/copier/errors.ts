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
