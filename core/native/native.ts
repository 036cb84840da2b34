/**
 * tryNativeAlter: let the server do the change in place when it can do it without copying rows.
 * `ALGORITHM=INSTANT` first; if the server refuses that algorithm and every clause is metadata-only
 * (metadata.ts), `ALGORITHM=NOCOPY, LOCK=NONE` (MariaDB) then `ALGORITHM=INPLACE, LOCK=NONE`.
 * Returns the algorithm that worked, or null when a copy is needed. Any other server error is an
 * NativeAlterRejectedError (the server's DDL is atomic: the table is unchanged).
 */
import mysql from 'mysql2/promise';
import type { Queryable, ServerFlavor } from '../connection/connection.ts';
import { throwIfAborted } from '../lifecycle/abort.ts';
import { checkAlterSupported } from '../preflight/alter.ts';
import type { ParsedAlter } from '../statement/types.ts';
import { NativeAlterRejectedError, NativeAlterLockTimeoutError } from './errors.ts';
import { isMetadataOnly } from './metadata.ts';

export type NativeAlgorithm = 'instant' | 'nocopy' | 'inplace';

/**
 * "This algorithm cannot do it": ER_ALTER_OPERATION_NOT_SUPPORTED (1845) and _REASON (1846) on both
 * servers; MySQL 8 also ER_INNODB_MAX_ROW_VERSION (4092, too many instant column changes) and
 * ER_INNODB_INSTANT_ADD_NOT_SUPPORTED_MAX_SIZE (4093). On MariaDB 4092/4093 mean other things.
 */
export function algorithmRefusalCodes(flavor: ServerFlavor): ReadonlySet<number> {
  return new Set(flavor.mariadb ? [1845, 1846] : [1845, 1846, 4092, 4093]);
}

/** Server errors that say nothing about the statement: passed on unchanged. */
const NOT_THE_STATEMENT = new Set([
  1053, // ER_SERVER_SHUTDOWN
  1213, // ER_LOCK_DEADLOCK
  1317, // ER_QUERY_INTERRUPTED
  1927, // ER_CONNECTION_KILLED (MariaDB)
  3024, // ER_QUERY_TIMEOUT (MySQL)
]);
const ER_LOCK_WAIT_TIMEOUT = 1205;

const atLeast = (p: readonly number[], ...v: number[]) => {
  for (let i = 0; i < v.length; i++) if ((p[i] ?? 0) !== v[i]) return (p[i] ?? 0) > v[i]!;
  return true;
};

/** The attempts in order for this server and statement. */
export function nativeAttempts(flavor: ServerFlavor, metadataOnly: boolean): { algorithm: NativeAlgorithm; clause: string }[] {
  const p = flavor.parts;
  const attempts: { algorithm: NativeAlgorithm; clause: string }[] = [];
  if (flavor.mariadb ? atLeast(p, 10, 3, 2) : atLeast(p, 8, 0, 12)) attempts.push({ algorithm: 'instant', clause: 'ALGORITHM=INSTANT' });
  if (metadataOnly) {
    if (flavor.mariadb && atLeast(p, 10, 3, 7)) attempts.push({ algorithm: 'nocopy', clause: 'ALGORITHM=NOCOPY, LOCK=NONE' });
    attempts.push({ algorithm: 'inplace', clause: 'ALGORITHM=INPLACE, LOCK=NONE' });
  }
  return attempts;
}

interface ServerError { errno: number; sqlState?: string; sqlMessage: string }

function asServerError(err: unknown): ServerError | undefined {
  const e = err as Partial<ServerError> | null;
  return e && typeof e.errno === 'number' && typeof e.sqlMessage === 'string' ? (e as ServerError) : undefined;
}

/**
 * Runs the user's ALTER natively when the server can do it without a copy. Call it after the
 * preflight checks (it re-runs checkAlterSupported itself: RENAME TO or ALGORITHM= never reach the
 * server from here). `signal` is checked before each attempt; an attempt is one statement.
 */
export async function tryNativeAlter(
  db: Queryable,
  schema: string,
  table: string,
  parsed: ParsedAlter,
  flavor: ServerFlavor,
  signal?: AbortSignal,
): Promise<NativeAlgorithm | null> {
  checkAlterSupported(parsed);
  const refusals = algorithmRefusalCodes(flavor);
  const target = `${mysql.escapeId(schema, true)}.${mysql.escapeId(table, true)}`;
  for (const attempt of nativeAttempts(flavor, isMetadataOnly(parsed))) {
    if (signal) throwIfAborted(signal);
    try {
      await db.query(`ALTER TABLE ${target} ${attempt.clause}, ${parsed.spec}`);
      return attempt.algorithm;
    } catch (err) {
      const server = asServerError(err);
      if (!server || NOT_THE_STATEMENT.has(server.errno)) throw err;
      if (refusals.has(server.errno)) continue;
      if (server.errno === ER_LOCK_WAIT_TIMEOUT) throw new NativeAlterLockTimeoutError(schema, table, err);
      throw new NativeAlterRejectedError(schema, table, server.errno, server.sqlState, server.sqlMessage, err);
    }
  }
  return null;
}
