/** Errors the cutover raises on purpose: each names the problem and the fix in one line. */
import { SluiceError } from '../errors.ts';
import { qualifiedName } from '../format.ts';


/** The swap did not happen (every attempt gave up, or a step failed): the original table is unchanged. */
export class CutoverFailedError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CUTOVER_FAILED', message, options);
  }
}

/** A connection dropped during the rename and the tables found afterwards fit neither outcome. */
export class CutoverStateUnknownError extends SluiceError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('CUTOVER_STATE_UNKNOWN', `cutover outcome unknown (${detail}): check the tables by hand before running anything else on them`, options);
  }
}

/** The name the original table must take is already used by a table this run did not create. */
export class OldTableExistsError extends SluiceError {
  readonly table: string;
  constructor(schema: string, table: string) {
    super('OLD_TABLE_EXISTS', `table ${qualifiedName(schema, table)} already exists (left by an earlier run?): drop or rename it, or keep the old table (--keep-old-table), then run again`);
    this.table = table;
  }
}

/** A table with one of the cutover's temporary names exists: an interrupted cutover left it, or a user did. */
export class SwapTableExistsError extends SluiceError {
  readonly table: string;
  constructor(schema: string, table: string) {
    super('SWAP_TABLE_EXISTS', `table ${qualifiedName(schema, table)} exists (left by an interrupted cutover?): rename it back to the shadow or old table name, or drop it, then run again`);
    this.table = table;
  }
}
