/** Migration options: what callers and the CLI pass, their defaults, and their validation. */
import type { ConnectionOptions, SessionSettings } from './connection/connection.ts';
import { DEFAULT_RECONNECT_SECONDS } from './connection/reconnect.ts';
import { InvalidOptionError } from './errors.ts';
import type { SluicePlugin } from './lifecycle/hooks.ts';
import { resolveLockPolicy } from './blockers/policy.ts';
import type { LockPolicy } from './blockers/types.ts';

export interface MigrationOptions {
  connection: ConnectionOptions;
  /** The `ALTER TABLE …` statement to run online. */
  statement: string;
  /** Parallel copy workers (default 2). */
  threads?: number;
  /** Target duration of one copy chunk in ms (default 500). */
  targetChunkMs?: number;
  /** Seconds a metadata lock may be waited for (LOCK TABLES, RENAME, native ALTER); default 30. */
  lockWaitTimeout?: number;
  /**
   * Kill sessions that keep holding the table's metadata lock when Sluice needs a table lock
   * (checksum snapshots, cutover), after `killBlockersAfter` (default true; --no-kill-blockers).
   */
  killBlockers?: boolean;
  /** Seconds Sluice waits for a blocker before killing it (default half of lockWaitTimeout). */
  killBlockersAfter?: number;
  /**
   * Longest a pending LOCK TABLES of Sluice's may hold the application's queries up before it is
   * withdrawn and retried, and longest a wait under Sluice's table lock, in whole seconds (default 2).
   */
  lockStallTimeout?: number;
  /** Create the sentinel table `_sluice_sentinel` and wait to cut over until an operator drops it. */
  deferCutover?: boolean;
  /** Keep the original table as `_<table>_old` (timestamped if taken) instead of dropping it. */
  keepOldTable?: boolean;
  /** Try ALGORITHM=INSTANT (and NOCOPY/INPLACE for metadata-only changes) first (default true). */
  tryNative?: boolean;
  /** Seconds a copy chunk may keep meeting lock conflicts without progress before the run fails (default 300). */
  lockConflictTimeout?: number;
  /** Cutover attempts before giving up (default 5). */
  cutoverAttempts?: number;
  /** How often progress is reported to listeners and the `progress` hook, in ms (default 1000). */
  progressIntervalMs?: number;
  /**
   * Seconds a lost server (a restart, a dropped connection) is waited for before the run fails,
   * keeping its checkpoint (default 300). Each loss is waited for anew, a bounded number of times.
   */
  reconnectTimeout?: number;
  /**
   * The copy yields to the application's row locks (NOWAIT, then SKIP LOCKED; core/copier/README.md):
   * the application is never a deadlock victim of the copy, but under a hot write load the copy can be
   * many times slower. Default false: the copy's locking reads wait (bounded by innodb_lock_wait_timeout).
   */
  copyYields?: boolean;
  /**
   * Copy into a shadow without its plain secondary indexes and build them afterwards in one online
   * ALTER (core/shadow/README.md, "Deferred indexes"; default true, --no-defer-indexes). UNIQUE,
   * FULLTEXT and SPATIAL indexes are always there during the copy.
   */
  deferIndexes?: boolean;
  /** Replica server id for the binlog stream (default: random, high range). */
  serverId?: number;
  /** Plugins, run after the default ones in this order. */
  plugins?: readonly SluicePlugin[];
  /**
   * The sql_mode the server judges the ALTER under, as in the user's own sessions (default: the
   * server's global sql_mode). The copy's own strict mode for lossy conversions is not affected.
   */
  sqlMode?: string;
  /** The time zone DATETIME ↔ TIMESTAMP conversions happen in, as in the user's sessions (default: the server's global time_zone). */
  timeZone?: string;
}

export type ResolvedOptions = Required<Omit<MigrationOptions, 'serverId' | 'plugins' | 'sqlMode' | 'timeZone'>> & {
  serverId: number;
  /** Bounds and kill policy of Sluice's table locks (from lockWaitTimeout, killBlockers, killBlockersAfter, lockStallTimeout). */
  locks: LockPolicy;
  plugins: readonly SluicePlugin[];
  sqlMode: string | undefined;
  timeZone: string | undefined;
  session: SessionSettings;
};

/** The engine's defaults (resolveOptions applies them; --help and --print-config show them). */
export const ENGINE_DEFAULTS = {
  threads: 2,
  targetChunkMs: 500,
  lockWaitTimeout: 30,
  deferCutover: false,
  keepOldTable: false,
  tryNative: true,
  cutoverAttempts: 5,
  progressIntervalMs: 1000,
  reconnectTimeout: DEFAULT_RECONNECT_SECONDS,
  lockConflictTimeout: 300,
  copyYields: false,
  deferIndexes: true,
} as const;

function positiveInt(name: string, value: unknown, fallback: number, max: number, flag: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidOptionError(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}: fix ${flag}`);
  }
  return value;
}

/** A named session setting: a string without quotes or control characters (the server judges the rest). */
function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || /['"\\\p{Cc}]/u.test(value) || (name === 'timeZone' && value.trim() === '')) {
    throw new InvalidOptionError(`${name} must be a ${name === 'sqlMode' ? "sql_mode like 'STRICT_TRANS_TABLES,NO_ZERO_DATE'" : "time zone like '+05:30' or 'SYSTEM'"}, got ${JSON.stringify(value)}: fix the ${name} option`);
  }
  return value.trim();
}

export function resolveOptions(options: MigrationOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new InvalidOptionError('createMigration needs an options object with connection and statement');
  if (typeof options.statement !== 'string' || options.statement.trim() === '') {
    throw new InvalidOptionError('no statement given: pass --statement "ALTER TABLE t …" (or statement in the config)');
  }
  const c = options.connection;
  if (!c || typeof c !== 'object' || typeof c.user !== 'string' || c.user === '') {
    throw new InvalidOptionError('no database user given: pass --user (or connection.user in the config)');
  }
  const d = ENGINE_DEFAULTS;
  const lockWaitTimeout = positiveInt('lockWaitTimeout', options.lockWaitTimeout, d.lockWaitTimeout, 31_536_000, '--lock-wait-timeout');
  const locks = resolveLockPolicy({
    lockWaitTimeout, killBlockers: options.killBlockers, killBlockersAfter: options.killBlockersAfter, lockStallTimeout: options.lockStallTimeout,
  });
  return {
    connection: { ...c },
    statement: options.statement.trim(),
    threads: positiveInt('threads', options.threads, d.threads, 64, '--threads'),
    targetChunkMs: positiveInt('targetChunkMs', options.targetChunkMs, d.targetChunkMs, 60_000, '--target-chunk-time'),
    lockWaitTimeout,
    killBlockers: locks.killBlockers,
    killBlockersAfter: locks.killAfterMs / 1000,
    lockStallTimeout: locks.stallSeconds,
    locks,
    deferCutover: options.deferCutover ?? d.deferCutover,
    keepOldTable: options.keepOldTable ?? d.keepOldTable,
    tryNative: options.tryNative ?? d.tryNative,
    copyYields: options.copyYields ?? d.copyYields,
    deferIndexes: options.deferIndexes ?? d.deferIndexes,
    lockConflictTimeout: positiveInt('lockConflictTimeout', options.lockConflictTimeout, d.lockConflictTimeout, 86_400, '--lock-conflict-timeout'),
    cutoverAttempts: positiveInt('cutoverAttempts', options.cutoverAttempts, d.cutoverAttempts, 100, '--cutover-attempts'),
    reconnectTimeout: positiveInt('reconnectTimeout', options.reconnectTimeout, d.reconnectTimeout, 86_400, 'reconnectTimeout'),
    progressIntervalMs: positiveInt('progressIntervalMs', options.progressIntervalMs, d.progressIntervalMs, 3_600_000, 'progressIntervalMs'),
    serverId: positiveInt('serverId', options.serverId, 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000), 4_294_967_295, '--server-id'),
    plugins: options.plugins ?? [],
    sqlMode: optionalString('sqlMode', options.sqlMode),
    timeZone: optionalString('timeZone', options.timeZone),
    session: { lockWaitTimeout, innodbLockWaitTimeout: 3 },
  };
}
