/** Errors of the native ALTER attempt. */
import { SluiceError } from '../errors.ts';
import { InvalidStatementError } from '../statement/errors.ts';
import { qualifiedName, oneLine } from '../format.ts';


/** The server refused the ALTER for a reason other than the algorithm (syntax, unknown column, duplicate key…); the table is unchanged. */
export class NativeAlterRejectedError extends InvalidStatementError {
  /** The server's error number (e.g. 1054) and SQLSTATE. */
  readonly errno: number;
  readonly sqlState: string | undefined;
  /** The server's message, on one line. */
  readonly serverMessage: string;
  constructor(schema: string, table: string, errno: number, sqlState: string | undefined, serverMessage: string, cause?: unknown) {
    const msg = oneLine(serverMessage, 300);
    super(`the server rejected the ALTER on ${qualifiedName(schema, table)}: ${msg} (error ${errno}); fix the statement and run it again`,
      { code: 'ALTER_REJECTED', cause });
    this.errno = errno;
    this.sqlState = sqlState;
    this.serverMessage = msg;
  }
}

/** The native ALTER waited lock_wait_timeout for the table's metadata lock (a long transaction holds it). */
export class NativeAlterLockTimeoutError extends SluiceError {
  constructor(schema: string, table: string, cause?: unknown) {
    super('NATIVE_ALTER_LOCK_TIMEOUT',
      `the ALTER on ${qualifiedName(schema, table)} timed out waiting for the table's metadata lock (a long transaction or LOCK TABLES holds it): run again once it ends`,
      { cause });
  }
}
