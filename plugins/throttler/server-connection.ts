/**
 * One dedicated connection to a server the throttler watches (a replica, a custom check's server):
 * opened on first use with a short connect timeout, every query bounded by a timeout, dropped on
 * any error and reopened by the next query. close() waits for the query in flight.
 */
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { driverOptions, type ConnectionOptions } from '../../plugin-api.ts';

export interface ServerConnectionOptions {
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
}

export class ServerConnection {
  readonly #options: ConnectionOptions;
  readonly #connectTimeoutMs: number;
  readonly #queryTimeoutMs: number;
  #conn: Connection | undefined;
  #inflight: Promise<unknown> = Promise.resolve();
  #closed = false;
  #version: string | undefined;

  constructor(options: ConnectionOptions, timeouts: ServerConnectionOptions = {}) {
    this.#options = options;
    this.#connectTimeoutMs = timeouts.connectTimeoutMs ?? 3000;
    this.#queryTimeoutMs = timeouts.queryTimeoutMs ?? 5000;
  }

  /** The server's VERSION(), known after the first successful query. */
  get version(): string | undefined {
    return this.#version;
  }

  /** Runs one query (serialized with the others); rows of the first result set. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]> {
    const run = this.#inflight.then(() => this.#query<T>(sql, values));
    this.#inflight = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#inflight;
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) await conn.end().catch(() => conn.destroy());
  }

  async #query<T>(sql: string, values?: unknown[]): Promise<T[]> {
    if (this.#closed) throw new Error('the connection is closed');
    try {
      const conn = this.#conn ?? await this.#connect();
      const [rows] = await conn.query<RowDataPacket[]>({ sql, values, timeout: this.#queryTimeoutMs });
      return rows as unknown as T[];
    } catch (err) {
      const conn = this.#conn;
      this.#conn = undefined;
      conn?.destroy();
      throw err;
    }
  }

  async #connect(): Promise<Connection> {
    const conn = await mysql.createConnection({ ...driverOptions(this.#options), connectTimeout: this.#connectTimeoutMs });
    conn.on('error', () => {
      if (this.#conn === conn) this.#conn = undefined; // reopened by the next query
      conn.destroy();
    });
    try {
      const [rows] = await conn.query<RowDataPacket[]>({ sql: 'SELECT VERSION() AS v', timeout: this.#queryTimeoutMs });
      this.#version = String(rows[0]?.v ?? '');
      if (this.#closed) throw new Error('the connection is closed');
    } catch (err) {
      conn.destroy();
      throw err;
    }
    this.#conn = conn;
    return conn;
  }
}
