/**
 * A real replica for tests: a second sandbox server (default port: auxPort('replica'), the sandbox port + 10) replicating from the test
 * server by binlog position (MASTER_USE_GTID=no), started from the primary's current position.
 * Create the databases a test needs AFTER start(), so the replica sees them being created.
 *
 *   const replica = new ReplicaSandbox({ wildDoTable: 'mytest%.%' });
 *   await replica.start();  …  await replica.stopSqlThread();  …  await replica.stop();
 */
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { auxPort, startSandbox, stopSandbox, testServer, type SandboxOptions, type ServerInfo } from '../../scripts/sandbox.ts';

export interface ReplicaSandboxOptions {
  port?: number;
  /** Folder under .sandbox/ (default `<port>-replica`). */
  name?: string;
  serverId?: number;
  /** Replicate only tables matching this `db%.table%` pattern (replicate_wild_do_table); default all. */
  wildDoTable?: string;
  /** The primary (default: testServer()). */
  primary?: ServerInfo;
  /** More mariadbd options, e.g. --log-slave-updates (a failover candidate logs what it replicates). */
  extraArgs?: string[];
}

type Row = Record<string, unknown>;

export class ReplicaSandbox {
  readonly sandbox: SandboxOptions;
  readonly primary: ServerInfo;
  readonly #wild: string | undefined;
  #server: ServerInfo | undefined;

  constructor(options: ReplicaSandboxOptions = {}) {
    const port = options.port ?? auxPort('replica');
    this.#wild = options.wildDoTable;
    this.sandbox = {
      port,
      name: options.name ?? `${port}-replica`,
      serverId: options.serverId ?? 2,
      extraArgs: [...(this.#wild ? [`--replicate-wild-do-table=${this.#wild}`] : []), ...(options.extraArgs ?? [])],
    };
    this.primary = options.primary ?? testServer();
  }

  get server(): ServerInfo {
    if (!this.#server) throw new Error('the replica is not started: call start()');
    return this.#server;
  }

  /** mysql://user:password@host:port of the replica (for the throttler's replicas option). */
  get dsn(): string {
    const s = this.server;
    return `mysql://${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}@${s.host}:${s.port}`;
  }

  /** user@host:port: how the throttler names it. */
  get label(): string {
    const s = this.server;
    return `${s.user}@${s.host}:${s.port}`;
  }

  /** Starts the server and makes it replicate from the primary's current binlog position; waits until it runs. */
  async start(): Promise<ServerInfo> {
    this.#server = await startSandbox(this.sandbox);
    const source = await mysql.createConnection(this.primary);
    try {
      await this.query('STOP ALL SLAVES');
      await this.query('RESET SLAVE ALL');
      if (this.#wild) await this.query('SET GLOBAL replicate_wild_do_table = ?', [this.#wild]);
      const [[pos]] = await source.query<RowDataPacket[]>('SHOW MASTER STATUS');
      if (!pos?.File) throw new Error('the primary has no binary log: start it with --log-bin');
      await this.query(
        "CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = no, MASTER_LOG_FILE = ?, MASTER_LOG_POS = ?",
        [this.primary.host, this.primary.port, this.primary.user, this.primary.password, pos.File, Number(pos.Position)],
      );
      await this.query('START SLAVE');
    } finally {
      await source.end();
    }
    await this.waitUntil((s) => s.Slave_IO_Running === 'Yes' && s.Slave_SQL_Running === 'Yes', 'replication running');
    return this.#server;
  }

  /** Restarts a stopped replica server (its replication settings are kept; threads start by themselves). */
  async startServer(): Promise<void> {
    this.#server = await startSandbox(this.sandbox);
    await this.waitUntil((s) => s.Slave_IO_Running === 'Yes' && s.Slave_SQL_Running === 'Yes', 'replication running');
  }

  /** Stops the replica server. */
  async stop(): Promise<void> {
    await stopSandbox(this.sandbox);
  }

  async stopSqlThread(): Promise<void> {
    await this.query('STOP SLAVE SQL_THREAD');
    await this.waitUntil((s) => s.Slave_SQL_Running === 'No', 'SQL thread stopped');
  }

  async startSqlThread(): Promise<void> {
    await this.query('START SLAVE SQL_THREAD');
    await this.waitUntil((s) => s.Slave_SQL_Running === 'Yes', 'SQL thread running');
  }

  async status(): Promise<Row> {
    const [row] = await this.query('SHOW SLAVE STATUS');
    if (!row) throw new Error('the replica reports no replication status');
    return row;
  }

  /** Waits until the replica has applied everything the primary had written when called. */
  async waitCaughtUp(timeoutMs = 20_000): Promise<void> {
    const source = await mysql.createConnection(this.primary);
    try {
      const [[pos]] = await source.query<RowDataPacket[]>('SHOW MASTER STATUS');
      await this.waitUntil((s) => s.Relay_Master_Log_File === pos!.File && Number(s.Exec_Master_Log_Pos) >= Number(pos!.Position), 'replica caught up', timeoutMs);
    } finally {
      await source.end();
    }
  }

  async query(sql: string, values?: unknown[]): Promise<Row[]> {
    const conn: Connection = await mysql.createConnection(this.server);
    try {
      const [rows] = await conn.query<RowDataPacket[]>(sql, values);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } finally {
      await conn.end();
    }
  }

  async waitUntil(ok: (status: Row) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Row | undefined;
    for (;;) {
      last = await this.status();
      if (ok(last)) return;
      if (Date.now() > deadline) {
        throw new Error(`replica on port ${this.sandbox.port}: timed out waiting for ${what} (IO ${String(last.Slave_IO_Running)}, SQL ${String(last.Slave_SQL_Running)}, ${String(last.Last_Error ?? '')})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
