/**
 * The share-lock clauses the copier and replay use so that they never wait for the application
 * while holding row locks the application may want (see README.md, "Deadlocks"):
 *  - `nowait`: a locking read that fails at once (instead of waiting) on a row another
 *    transaction holds; the caller rolls back, backs off and retries.
 *  - `skipLocked`: a locking read that skips rows another transaction holds; used only after a
 *    `nowait` read of the same rows succeeded, so it can only skip rows that appeared since.
 * MariaDB spells them `LOCK IN SHARE MODE NOWAIT` (10.3+) / `SKIP LOCKED` (10.6+), MySQL 8
 * `FOR SHARE NOWAIT` / `FOR SHARE SKIP LOCKED` (it refuses them after LOCK IN SHARE MODE).
 * On older servers (null) the copier and replay fall back to plain blocking locking reads.
 */
import type { ServerFlavor } from '../connection/connection.ts';

export interface ShareLocking {
  readonly nowait: string;
  readonly skipLocked: string;
}

export const MARIADB_SHARE_LOCKING: ShareLocking = { nowait: 'LOCK IN SHARE MODE NOWAIT', skipLocked: 'LOCK IN SHARE MODE SKIP LOCKED' };
export const MYSQL_SHARE_LOCKING: ShareLocking = { nowait: 'FOR SHARE NOWAIT', skipLocked: 'FOR SHARE SKIP LOCKED' };

function atLeast(parts: readonly number[], major: number, minor: number): boolean {
  return parts[0]! > major || (parts[0] === major && parts[1]! >= minor);
}

/** The clauses this server understands, or null when it has no SKIP LOCKED. */
export function shareLocking(flavor: Pick<ServerFlavor, 'mariadb' | 'parts'>): ShareLocking | null {
  if (flavor.mariadb) return atLeast(flavor.parts, 10, 6) ? MARIADB_SHARE_LOCKING : null;
  return atLeast(flavor.parts, 8, 0) ? MYSQL_SHARE_LOCKING : null;
}

export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_LOCK_DEADLOCK = 1213;
/** MySQL 8's error for a NOWAIT read that met a lock (MariaDB reports 1205). */
export const ER_LOCK_NOWAIT = 3572;

/** A deadlock, a lock wait timeout or a NOWAIT refusal: transient, retried after a rollback. */
export function isLockConflict(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT || errno === ER_LOCK_NOWAIT;
}

/**
 * The statements of the copier's and replay's transactions read the source in READ COMMITTED:
 * their locking reads then take record locks only (no gap locks that would hold up the
 * application's inserts), and a locking read still returns the latest committed row.
 */
export const READ_COMMITTED_NEXT = 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED';
