/**
 * The settings of the user's own sessions (what a plain `mysql` client connected to this server
 * would run with): its sql_mode and time_zone. Sluice's sessions run in '+00:00' under a strict mode
 * of their own (connection.ts); DDL that must be judged as the server judges the user's ALTER
 * (the shadow's CREATE/ALTER, the native attempt) runs under these settings instead, on one pool
 * connection that is put back to Sluice's settings afterwards.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { InvalidOptionError } from '../errors.ts';
import { queryRows, SESSION_SQL_MODE, type Queryable } from './connection.ts';

export interface UserSession {
  /** e.g. 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,…' (may be empty). */
  readonly sqlMode: string;
  /** e.g. 'SYSTEM', '+05:30', 'Europe/Berlin'. */
  readonly timeZone: string;
  /** The server's @@system_time_zone (what 'SYSTEM' means), e.g. 'UTC', 'CET'. */
  readonly systemTimeZone: string;
}

/** What may hold a connection aside: a pool. */
export type SessionPool = Pick<Pool, 'query' | 'getConnection'>;

const ER_WRONG_VALUE_FOR_VAR = 1231;
const ER_UNKNOWN_TIME_ZONE = 1298;

/**
 * The user's session settings: the server's global sql_mode and time_zone, unless the options name
 * them. A named value is checked by the server (SET SESSION on a connection put back afterwards):
 * an unknown mode or zone is an InvalidOptionError.
 */
export async function readUserSession(pool: SessionPool, named: { sqlMode?: string | undefined; timeZone?: string | undefined } = {}): Promise<UserSession> {
  const [row] = await queryRows<{ m: string; tz: string; sys: string }>(
    pool, 'SELECT @@GLOBAL.sql_mode AS m, @@GLOBAL.time_zone AS tz, @@system_time_zone AS sys');
  const session: UserSession = {
    sqlMode: named.sqlMode ?? String(row?.m ?? ''),
    timeZone: named.timeZone ?? String(row?.tz ?? 'SYSTEM'),
    systemTimeZone: String(row?.sys ?? ''),
  };
  if (named.sqlMode !== undefined || named.timeZone !== undefined) {
    try {
      await withUserSession(pool, session, async () => undefined);
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno === ER_WRONG_VALUE_FOR_VAR) {
        throw new InvalidOptionError(`sqlMode "${named.sqlMode}" is not a valid sql_mode on this server: fix the sqlMode option (or leave it out to use the server's global sql_mode)`);
      }
      if (errno === ER_UNKNOWN_TIME_ZONE) {
        throw new InvalidOptionError(`timeZone "${named.timeZone}" is not a time zone this server knows: use an offset like '+05:30', 'SYSTEM', or load the time zone tables (mariadb-tzinfo-to-sql)`);
      }
      throw err;
    }
  }
  return session;
}

/** The statements that give a session the user's settings. */
export function userSessionStatements(session: UserSession): { sql: string; values: string[] }[] {
  return [
    { sql: 'SET SESSION sql_mode = ?', values: [session.sqlMode] },
    { sql: 'SET SESSION time_zone = ?', values: [session.timeZone] },
  ];
}

/** Back to Sluice's own session settings (connection.ts). */
const RESTORE = [`SET SESSION time_zone = '+00:00'`, `SET SESSION sql_mode = '${SESSION_SQL_MODE}'`];

/**
 * Runs `fn` on one pool connection set to the user's sql_mode and time_zone, then puts the
 * connection back to Sluice's settings; a connection that cannot be put back is destroyed, never
 * returned to the pool with the user's settings.
 */
export async function withUserSession<T>(pool: SessionPool, session: UserSession, fn: (conn: Queryable) => Promise<T>): Promise<T> {
  const conn: PoolConnection = await pool.getConnection();
  let restored = false;
  try {
    for (const s of userSessionStatements(session)) await conn.query(s.sql, s.values);
    return await fn(conn);
  } finally {
    try {
      for (const sql of RESTORE) await conn.query(sql);
      restored = true;
    } catch {
      // destroyed below
    }
    if (restored) conn.release();
    else conn.destroy();
  }
}
