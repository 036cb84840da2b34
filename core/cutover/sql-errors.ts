/** How the cutover classifies driver and server errors. */

interface DriverError {
  errno?: number;
  code?: string;
  fatal?: boolean;
}

const asDriverError = (err: unknown): DriverError => (typeof err === 'object' && err !== null ? (err as DriverError) : {});

export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_LOCK_DEADLOCK = 1213;
export const ER_TABLE_NOT_LOCKED = 1100;

/** A metadata or row lock could not be had in time: worth another attempt. */
export function isLockTimeout(err: unknown): boolean {
  const { errno } = asDriverError(err);
  return errno === ER_LOCK_WAIT_TIMEOUT || errno === ER_LOCK_DEADLOCK;
}

const CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'PROTOCOL_ENQUEUE_AFTER_QUIT',
]);
// ER_SERVER_SHUTDOWN, ER_CONNECTION_KILLED (MariaDB), CR_SERVER_GONE_ERROR, CR_SERVER_LOST
const CONNECTION_ERRNOS = new Set([1053, 1927, 2006, 2013]);

/** The connection is gone: whatever it was running may or may not have happened. */
export function isConnectionError(err: unknown): boolean {
  const e = asDriverError(err);
  return e.fatal === true || (e.code !== undefined && CONNECTION_CODES.has(e.code)) || (e.errno !== undefined && CONNECTION_ERRNOS.has(e.errno));
}

export function hasErrno(err: unknown, errno: number): boolean {
  return asDriverError(err).errno === errno;
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
