/**
 * Connection pools whose every session is set up the same way (see README.md), and the few
 * server facts every phase needs.
 */
import mysql, { type Pool, type PoolConnection, type PoolOptions, type RowDataPacket } from 'mysql2/promise';
import type { BinlogPosition } from '../types.ts';
import { driverTls, type TlsOptions } from './tls.ts';
import { ignorable, KEEPALIVE_DELAY_MS, lifetimeStatements } from './lifetime.ts';
import { watcherFor } from './registry.ts';

export interface ConnectionOptions {
  host?: string;
  port?: number;
  user: string;
  password?: string;
  /** The schema of the table to alter (when the statement does not name one). */
  database?: string;
  socketPath?: string;
  /** TLS, as the mysql client's --ssl-mode/--ssl-ca/--ssl-cert/--ssl-key (see tls.ts); default none. */
  ssl?: TlsOptions;
}

export interface SessionSettings {
  /** Seconds a DDL or LOCK TABLES waits for a metadata lock (default 30). */
  lockWaitTimeout: number;
  /** Seconds a row lock wait lasts before the statement is retried (default 3). */
  innodbLockWaitTimeout: number;
}

export const DEFAULT_SESSION: SessionSettings = { lockWaitTimeout: 30, innodbLockWaitTimeout: 3 };

/** The SQL mode of every Sluice session: strict (lossy conversions surface), zero ids kept. */
export const SESSION_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

/** Where a connection goes when host or port is not given. */
export const CONNECTION_DEFAULTS = { host: '127.0.0.1', port: 3306 } as const;

/** mysql2 options shared by pools and single connections: exact values for keys and bounds. */
export function driverOptions(conn: ConnectionOptions): PoolOptions {
  return {
    host: conn.host ?? CONNECTION_DEFAULTS.host,
    port: conn.port ?? CONNECTION_DEFAULTS.port,
    user: conn.user,
    password: conn.password ?? '',
    database: conn.database,
    socketPath: conn.socketPath,
    charset: 'UTF8MB4_BIN',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    timezone: 'Z',
    multipleStatements: false,
    connectTimeout: 10_000,
    ssl: driverTls(conn.ssl),
    enableKeepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_DELAY_MS,
  };
}

export function sessionStatements(settings: SessionSettings): string[] {
  return [
    `SET SESSION time_zone = '+00:00'`,
    `SET SESSION sql_mode = '${SESSION_SQL_MODE}'`,
    `SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.floor(settings.innodbLockWaitTimeout))}`,
    `SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(settings.lockWaitTimeout))}`,
    `SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ`,
  ];
}

/**
 * Idle pool connections are closed by the pool after this long (and opened again when needed), so
 * none sits idle until the server's `wait_timeout` drops it under a query. (mysql2 runs its idle
 * sweep only when maxIdle < connectionLimit; maxIdle one below the limit keeps churn away.)
 */
export const POOL_IDLE_MS = 60_000;

/** A pool whose connections all run the session setup before first use. */
export function openPool(conn: ConnectionOptions, settings: SessionSettings = DEFAULT_SESSION, connectionLimit = 10): Pool {
  const pool = mysql.createPool({
    ...driverOptions(conn), connectionLimit, waitForConnections: true, maxIdle: Math.max(1, connectionLimit - 1), idleTimeout: POOL_IDLE_MS,
  });
  const statements = sessionStatements(settings);
  const lifetime = lifetimeStatements();
  // mysql2 emits 'connection' on the callback pool for each new physical connection.
  pool.pool.on('connection', (c) => {
    // Queued before any user query on this connection; a failed setup destroys the connection
    // so that its first use fails loudly instead of running with the server's defaults.
    for (const sql of statements) c.query(sql, (err: unknown) => { if (err) c.destroy(); });
    for (const s of lifetime) c.query(s.sql, (err: unknown) => { if (err && !ignorable(s, err)) c.destroy(); });
  });
  return pool;
}

/** A dedicated connection (lock holder, cutover) with the same session setup; the run's watchdog watches it. */
export async function openConnection(conn: ConnectionOptions, settings: SessionSettings = DEFAULT_SESSION) {
  const c = await mysql.createConnection(driverOptions(conn));
  watcherFor(conn)?.watch(c as unknown as { connection: unknown });
  try {
    for (const sql of sessionStatements(settings)) await c.query(sql);
    await runLifetimeStatements(c);
  } catch (err) {
    c.destroy();
    throw err;
  }
  return c;
}

/** Runs lifetimeStatements() on a connection Sluice did not open through openPool/openConnection. */
export async function runLifetimeStatements(c: Pick<Pool | PoolConnection, 'query'>): Promise<void> {
  for (const s of lifetimeStatements()) {
    try {
      await c.query(s.sql);
    } catch (err) {
      if (!ignorable(s, err)) throw err;
    }
  }
}

export type Queryable = Pick<Pool | PoolConnection, 'query'>;

export async function queryRows<T = Record<string, unknown>>(db: Queryable, sql: string, values?: unknown[]): Promise<T[]> {
  const [rows] = await db.query<RowDataPacket[]>(sql, values);
  return rows as unknown as T[];
}

export interface ServerFlavor {
  mariadb: boolean;
  version: string;
  /** [major, minor, patch] */
  parts: [number, number, number];
}

export async function serverFlavor(db: Queryable): Promise<ServerFlavor> {
  const [row] = await queryRows<{ v: string }>(db, 'SELECT VERSION() AS v');
  const version = String(row!.v);
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((p) => Number.parseInt(p, 10));
  return { mariadb: /mariadb/i.test(version), version, parts: [major, minor, patch] };
}

/** The server's current binlog coordinates (MySQL 8.4 renamed SHOW MASTER STATUS). */
export async function currentBinlogPosition(db: Queryable): Promise<BinlogPosition> {
  let rows: Record<string, unknown>[];
  try {
    rows = await queryRows(db, 'SHOW MASTER STATUS');
  } catch {
    rows = await queryRows(db, 'SHOW BINARY LOG STATUS');
  }
  const row = rows[0];
  if (!row || !row.File) throw new Error('the server reports no binary log position: is log_bin on?');
  let gtid: string | undefined;
  if (row.Executed_Gtid_Set) gtid = String(row.Executed_Gtid_Set).replace(/\s+/g, '');
  else {
    try {
      const [g] = await queryRows<{ g: string }>(db, 'SELECT @@GLOBAL.gtid_binlog_pos AS g');
      if (g?.g) gtid = String(g.g);
    } catch {
      // not MariaDB
    }
  }
  return { file: String(row.File), position: Number(row.Position), ...(gtid ? { gtid } : {}) };
}

/**
 * Orders binlog file names: `base.NNNNNN`, where the server numbers files up and widens the
 * number past six digits (`binlog.999999` is followed by `binlog.1000000`), so the numeric suffixes
 * are compared as numbers. Names without a numeric suffix, or with different bases, compare as text.
 */
export function compareBinlogFiles(a: string, b: string): number {
  if (a === b) return 0;
  const ma = /^(.*)\.(\d+)$/.exec(a);
  const mb = /^(.*)\.(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) {
    const na = BigInt(ma[2]!);
    const nb = BigInt(mb[2]!);
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return a < b ? -1 : 1;
}

/** Orders binlog coordinates: negative when a is before b (files by their numeric suffix). */
export function compareBinlogPositions(a: BinlogPosition, b: BinlogPosition): number {
  const byFile = compareBinlogFiles(a.file, b.file);
  return byFile !== 0 ? byFile : a.position - b.position;
}

/** A safe description of where we connect: never the password. */
export function describeConnection(conn: ConnectionOptions): string {
  const where = conn.socketPath ? conn.socketPath : `${conn.host ?? CONNECTION_DEFAULTS.host}:${conn.port ?? CONNECTION_DEFAULTS.port}`;
  return `${conn.user}@${where}`;
}
