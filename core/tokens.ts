/**
 * The tokens core registers in each migration's container, in the order they become available.
 * Plugins resolve them in their hooks (e.g. the checkpoint plugin resolves Pool and Target in
 * `resume`, Shadow and Replay in `progress`).
 */
import type { Connection, Pool, PoolConnection } from 'mysql2/promise';
import { token } from './container/tokens.ts';
import type { ConnectionOptions, Queryable, ServerFlavor } from './connection/connection.ts';
import type { TableLocks } from './blockers/types.ts';
import type { ControlRegistry } from './control/registry.ts';
import type { UserSession } from './connection/user-session.ts';
import type { ResolvedOptions } from './options.ts';
import type { ParsedAlter } from './statement/types.ts';
import type { ColumnMapping, TableInfo } from './table/types.ts';
import type { BinlogPosition, ChunkInfo, KeyTuple } from './types.ts';

/** The table being migrated. */
export interface MigrationTarget {
  /** Schema and table as the server stores them (resolved once, at inspection), whatever the statement's letter case. */
  readonly schema: string;
  readonly table: string;
  /** The user's statement with the table reference spelled as stored: the migration's identity (checkpoints). */
  readonly statement: string;
  readonly parsed: ParsedAlter;
}

/** The shadow table, once created or found for a resume. */
export interface ShadowInfo {
  readonly name: string;
  readonly info: TableInfo;
  readonly mapping: ColumnMapping;
}

/** What plugins may ask of the replay stream (it never pauses; plugins only make it catch up). */
export interface ReplayControl {
  /** Applies pending changes to the shadow table now. */
  flush(): Promise<number>;
  /** Every change before this binlog position is in the shadow table. */
  readonly applied: BinlogPosition;
  readonly pending: number;
  /**
   * Before taking a table lock: waits (at most `timeoutMs`, else ReplayLagError) until replay has
   * received everything up to the server's current binlog position (read on `db`), then applies it
   * through the pool, so that only a short tail is left for syncUnderLock.
   */
  catchUp(db: Queryable, opts: { timeoutMs: number; signal: AbortSignal }): Promise<void>;
  /**
   * On a connection that holds `LOCK TABLES source READ|WRITE, shadow WRITE`: waits until replay
   * has received everything up to the server's current binlog position (at most `timeoutMs` when
   * given, else ReplayLagError: the caller unlocks and retries), then applies it on that connection
   * without releasing the locks. Afterwards source and shadow hold the same rows.
   */
  syncUnderLock(conn: Connection | PoolConnection, opts?: { timeoutMs?: number }): Promise<void>;
}

/** What plugins may ask of the copier (the checksum plugin walks the table and re-copies ranges). */
export interface CopyControl {
  /** The SQL condition (on the PK columns) for rows with lower < pk <= upper; null = unbounded. */
  rangeCondition(lower: KeyTuple | null, upper: KeyTuple | null): { sql: string; values: unknown[] };
  /** Walks the source's PRIMARY index on `db` (e.g. a snapshot transaction) in chunks of about `rows` rows. */
  chunks(db: Queryable, rows: number): AsyncGenerator<ChunkInfo>;
  /** Deletes the shadow rows of the range and copies it again from the source, like the copier's chunks (never waiting for the application while holding locks; conflicts retried, bounded by --lock-conflict-timeout); returns rows copied. */
  recopy(lower: KeyTuple | null, upper: KeyTuple | null): Promise<number>;
}

/** What plugins may report about the run (shown in progress output and events). */
export interface RunStatus {
  /** Why the copier is paused (undefined: it is not). Shown in progress as "throttled: <reason>". */
  setThrottled(reason: string | undefined): void;
}

export const Tokens = {
  /** Resolved options (available from setup). */
  Options: token<ResolvedOptions>('options'),
  /** Connection settings, to open dedicated connections (available from setup). */
  Connection: token<ConnectionOptions>('connection'),
  /** The session-configured pool (from the connect phase). */
  Pool: token<Pool>('pool'),
  Flavor: token<ServerFlavor>('flavor'),
  /** Schema, table and parsed statement (from the inspect phase). */
  Target: token<MigrationTarget>('target'),
  /** The user's own sql_mode and time_zone, which the server judges the ALTER under (from the inspect phase). */
  UserSession: token<UserSession>('user-session'),
  /** The source table as inspected before anything changed. */
  Source: token<TableInfo>('source'),
  Shadow: token<ShadowInfo>('shadow'),
  Replay: token<ReplayControl>('replay'),
  Copy: token<CopyControl>('copy'),
  /** Available from setup. */
  Status: token<RunStatus>('status'),
  /** Bounded table locks that find and kill blockers, under the migration's policy (from the connect phase). */
  Locks: token<TableLocks>('locks'),
  /** Where plugins register what an operator may steer while the migration runs (core/control; available from setup). */
  Control: token<ControlRegistry>('control'),
} as const;
