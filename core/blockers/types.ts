/** What the lock guard needs and reports: the policy (bounds, kill or not), table specs, sessions found. */
import type { Connection, PoolConnection } from 'mysql2/promise';
import type { Queryable } from '../connection/connection.ts';

/** Every bound on Sluice's own table locks (see README.md). */
export interface LockPolicy {
  /** Longest one acquisition may take, waiting for blockers and retrying included (--lock-wait-timeout). */
  readonly waitMs: number;
  /** Kill sessions that keep holding the table's metadata lock (default true; --no-kill-blockers). */
  readonly killBlockers: boolean;
  /** How long Sluice waits for a holder before killing it (--kill-blockers-after). */
  readonly killAfterMs: number;
  /**
   * Longest a pending LOCK TABLES may sit in front of the application's queries before it is
   * withdrawn and retried, and longest a wait under the lock may last (--lock-stall-timeout), seconds.
   */
  readonly stallSeconds: number;
  /** The sessions' normal lock_wait_timeout (restored on the lock session after LOCK TABLES), seconds. */
  readonly sessionLockWaitSeconds: number;
}

export type TableLockMode = 'READ' | 'WRITE';

export interface TableLockSpec {
  readonly name: string;
  readonly mode: TableLockMode;
}

/** A session found holding (or suspected of holding) a table's metadata lock. */
export interface Blocker {
  readonly id: number;
  readonly user: string;
  readonly host: string;
  /** Processlist command: Sleep (idle), Query, … */
  readonly command: string;
  /** What it runs now, if anything (cut to one line; hidden when it may hold a password). */
  readonly statement: string | null;
  /** How long it has held the lock, or its transaction has been open, in ms (best known). */
  readonly ageMs: number;
  /** Rows its open transaction changed (a rollback must undo them), 0 without one. */
  readonly rowsModified: number;
  /** true: seen in a metadata lock view; false: only an open transaction (no MDL view on this server). */
  readonly exact: boolean;
}

export interface LockLog {
  info(m: string): void;
  warn(m: string): void;
  debug(m: string): void;
}

export interface TableLockRequest {
  /** The session that takes `LOCK TABLES` (and keeps it). */
  readonly lock: Connection | PoolConnection;
  /** Another, idle session: looks for blockers, kills them, and kills the lock statement on abort. */
  readonly control: Queryable;
  readonly schema: string;
  readonly tables: readonly TableLockSpec[];
  /** For log lines: "the checksum snapshots", "the cutover". */
  readonly purpose: string;
  readonly signal: AbortSignal;
  /** Server ids of Sluice's own sessions: never killed (the lock and control sessions are added). */
  readonly own?: Iterable<number>;
}

export interface LockGrant {
  /** From the start of the acquisition to LOCK TABLES granted, ms. */
  readonly waitedMs: number;
  /** Sessions killed on the way. */
  readonly killed: readonly Blocker[];
  /** LOCK TABLES statements that timed out and were retried. */
  readonly retries: number;
}

/** The service plugins get as Tokens.Locks: the migration's policy and own sessions built in. */
export interface TableLocks {
  readonly policy: LockPolicy;
  /** Server ids of the migration's own sessions (its pool's connections, and those added). */
  ownSessionIds(): number[];
  /** Takes LOCK TABLES on `lock` under the migration's policy (see lockTables()). */
  lock(request: TableLockRequest): Promise<LockGrant>;
}
