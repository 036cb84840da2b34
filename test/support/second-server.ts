/**
 * A second sandbox server for a test file that needs server settings the main sandbox does not
 * have (e.g. lower_case_table_names, which is fixed at initialisation). Started in `start()`,
 * stopped with every pool ended in `stop()`; the data directory is kept for the next run.
 *
 *   const second = new SecondServer({ port: auxPort('secondServer'), name: 'lctn1', extraArgs: […], initArgs: […] });
 *   before(() => second.start()); after(() => second.stop());
 */
import mysql, { type Pool } from 'mysql2/promise';
import type { ConnectionOptions } from '../../core/connection/connection.ts';
import { startSandbox, stopSandbox, type SandboxOptions, type ServerInfo } from '../../scripts/sandbox.ts';

export class SecondServer {
  readonly options: SandboxOptions;
  #server: ServerInfo | undefined;
  readonly #pools: Pool[] = [];

  constructor(options: SandboxOptions & { port: number; name: string }) {
    this.options = options;
  }

  async start(): Promise<ServerInfo> {
    this.#server = await startSandbox(this.options);
    return this.#server;
  }

  get server(): ServerInfo {
    if (!this.#server) throw new Error('the second server is not started: call start()');
    return this.#server;
  }

  /** Connection options for Sluice on this server. */
  connection(database?: string): ConnectionOptions {
    const s = this.server;
    return { host: s.host, port: s.port, user: s.user, password: s.password, database };
  }

  /** A plain pool (an application's view), ended by stop(). */
  pool(database?: string, connectionLimit = 4): Pool {
    const s = this.server;
    const pool = mysql.createPool({
      host: s.host, port: s.port, user: s.user, password: s.password, database,
      connectionLimit, supportBigNumbers: true, bigNumberStrings: true, dateStrings: true,
    });
    this.#pools.push(pool);
    return pool;
  }

  /** Drops and creates `name`, returns a pool on it. */
  async freshDatabase(name: string): Promise<Pool> {
    const admin = this.pool(undefined, 1);
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
    await admin.query(`CREATE DATABASE ${mysql.escapeId(name)}`);
    return this.pool(name);
  }

  async stop(): Promise<void> {
    for (const p of this.#pools.splice(0)) await p.end().catch(() => undefined);
    if (this.#server) await stopSandbox(this.options);
    this.#server = undefined;
  }
}
