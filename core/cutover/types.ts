/** What the cutover needs from its caller: connection settings, the tables, and the replay. */
import type { Connection, PoolConnection } from 'mysql2/promise';
import type { ConnectionOptions, SessionSettings } from '../connection/connection.ts';
import type { BlockerFinder } from '../blockers/find.ts';
import type { LockPolicy } from '../blockers/types.ts';
import type { BinlogPosition } from '../types.ts';

/** The part of binlog replay the cutover drives while it holds the lock. */
export interface ReplayForCutover {
  /** Resolves once every change up to `pos` has been received; rejects promptly on abort. */
  waitFor(pos: BinlogPosition, signal: AbortSignal): Promise<void>;
  /** Applies every received change to the shadow on `conn` (which holds the table lock). */
  flush(conn: Connection | PoolConnection, opts: { underLock: true }): Promise<number>;
  stop(): Promise<void>;
  /**
   * Applies every received change through the pool, outside any lock. When given, each attempt
   * first waits (bounded by --lock-wait-timeout) for replay to reach the server's current position
   * and calls this, before it locks: only a short tail is left for the wait under the lock.
   */
  flushPending?(): Promise<number>;
  /** Changes received but not yet applied. */
  readonly pending: number;
}

export interface CutoverLog {
  info(m: string): void;
  warn(m: string): void;
  debug(m: string): void;
}

export interface CutoverOptions {
  /** Each attempt opens its own sessions with openConnection. */
  connection: ConnectionOptions;
  /** Session setup of the cutover's own sessions (lockWaitTimeout: the RENAME's wait behind the lock). */
  session: SessionSettings;
  /**
   * How the table lock is taken: its bounds and whether blockers are killed (default:
   * resolveLockPolicy({ lockWaitTimeout: session.lockWaitTimeout }): kill after half of it, 2 s
   * stall bound). The stall bound also bounds the catch-up and the RENAME's queueing under the lock.
   */
  locks?: LockPolicy;
  /** Server ids of the migration's other sessions (pool, replay): never killed as blockers. */
  ownSessions?: () => Iterable<number>;
  schema: string;
  table: string;
  shadow: string;
  replay: ReplayForCutover;
  /** Default 5. */
  attempts?: number;
  /** The original's name afterwards (default `_<t>_old`; see chooseOldTableName). */
  oldName?: string;
  /**
   * pt-osc's drop_swap (README.md, "Drop-swap"): under the lock, `DROP TABLE t` with checks off, then
   * the shadow renamed to `t`; no old table is left. Default false: the atomic RENAME.
   */
  dropSwap?: boolean;
  signal: AbortSignal;
  log?: CutoverLog;
}

/** What every attempt of one cutover shares. */
export interface AttemptContext {
  readonly policy: LockPolicy;
  readonly finder: BlockerFinder;
}

export interface CutoverOutcome {
  /** How long application writes to the table were blocked: lock granted → RENAME done. */
  lockMs: number;
  /** Attempts used, the successful one included. */
  attempts: number;
  /** Where the original table is now: `oldName`, unless the final rename to it failed (then `<t>~old`). */
  oldTable: string;
}
