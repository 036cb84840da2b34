/** Migration options: what callers and the CLI pass, their defaults, and their validation. */
import type { ConnectionOptions, SessionSettings } from './connection/connection.ts';
import { DEFAULT_RECONNECT_SECONDS } from './connection/reconnect.ts';
import { InvalidOptionError } from './errors.ts';
import type { SluicePlugin } from './lifecycle/hooks.ts';
import { resolveLockPolicy } from './blockers/policy.ts';
import type { LockPolicy } from './blockers/types.ts';
import type { AlterForeignKeysMethod } from './preflight/foreign-keys.ts';

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
   * The copy, replay and the checksum's re-copy yield to the application's row locks (SKIP LOCKED, then
   * NOWAIT, held rows retried; core/copier/README.md, core/replay/README.md): the application is never
   * a deadlock victim of Sluice's locking reads, but under a
   * hot write load the copy is slower (measured 1.2–3x). Default false: the copy's locking reads wait (bounded by innodb_lock_wait_timeout).
   */
  copyYields?: boolean;
  /**
   * Change nothing: connect, run every preflight check and refusal, and end with a result whose
   * `plan` says what a real run would do (mode 'dry-run'). Default false.
   */
  dryRun?: boolean;
  /**
   * The new table gets none of the table's own foreign keys (gh-ost's --discard-foreign-keys). Default
   * false: they are re-created on the new table. Refused when one has a cascading action (README.md).
   */
  discardForeignKeys?: boolean;
  /**
   * What to do when other tables' foreign keys reference the table: 'none' (default) refuses;
   * 'rebuild-constraints' re-points them at the new table right after the swap (pt-osc's method);
   * 'drop-swap' drops the table and renames the new one in its place (not atomic; README.md).
   */
  alterForeignKeysMethod?: AlterForeignKeysMethod;
  /** rebuild-constraints only for child tables of at most this many rows, counted up front (default 100000). */
  rebuildChildMaxRows?: number;
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
  /**
   * The control endpoint's Unix socket (core/control): a path, or true for
   * `$TMPDIR/sluice-<port>-<schema>.<table>.sock` (default false: none; `migration.control` works without it).
   */
  controlSocket?: string | boolean;
  /** Also take control commands on this TCP port on 127.0.0.1 (0: any free port, logged; default: none). */
  controlPort?: number;
}

export type ResolvedOptions = Required<Omit<MigrationOptions, 'serverId' | 'plugins' | 'sqlMode' | 'timeZone' | 'controlSocket' | 'controlPort'>> & {
  serverId: number;
  /** Bounds and kill policy of Sluice's table locks (from lockWaitTimeout, killBlockers, killBlockersAfter, lockStallTimeout). */
  locks: LockPolicy;
  plugins: readonly SluicePlugin[];
  sqlMode: string | undefined;
  timeZone: string | undefined;
  session: SessionSettings;
  /** The control socket's path (resolved once the table is known when `controlSocket: true`), or false. */
  controlSocket: string | boolean;
  controlPort: number | undefined;
};

/** Most copy workers (--threads, and `threads=N` while the copy runs). */
export const MAX_THREADS = 64;

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
  dryRun: false,
  discardForeignKeys: false,
  alterForeignKeysMethod: 'none',
  rebuildChildMaxRows: 100_000,
  deferIndexes: true,
} as const;

const FOREIGN_KEY_METHODS: readonly AlterForeignKeysMethod[] = ['none', 'rebuild-constraints', 'drop-swap'];

function foreignKeysMethod(value: unknown): AlterForeignKeysMethod {
  if (value === undefined) return ENGINE_DEFAULTS.alterForeignKeysMethod;
  if (!FOREIGN_KEY_METHODS.includes(value as AlterForeignKeysMethod)) {
    throw new InvalidOptionError(`alterForeignKeysMethod must be one of ${FOREIGN_KEY_METHODS.join(', ')}, got ${JSON.stringify(value)}: fix --alter-foreign-keys-method`);
  }
  return value as AlterForeignKeysMethod;
}

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

function wholeNumber(name: string, value: unknown, min: number, max: number, flag: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}: fix ${flag}`);
  }
  return value;
}

function controlSocket(value: unknown): string | boolean {
  if (value === undefined || value === false || value === true) return value ?? false;
  if (typeof value !== 'string' || value.trim() === '' || /\p{Cc}/u.test(value)) {
    throw new InvalidOptionError(`controlSocket must be a file path, or true for the default path, got ${JSON.stringify(value)}: fix --control-socket`);
  }
  return value;
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
  if (options.alterForeignKeysMethod === 'drop-swap' && options.keepOldTable) {
    throw new InvalidOptionError('--alter-foreign-keys-method drop-swap drops the original table, so it cannot be kept: drop --keep-old-table or use rebuild-constraints');
  }
  const lockWaitTimeout = positiveInt('lockWaitTimeout', options.lockWaitTimeout, d.lockWaitTimeout, 31_536_000, '--lock-wait-timeout');
  const locks = resolveLockPolicy({
    lockWaitTimeout, killBlockers: options.killBlockers, killBlockersAfter: options.killBlockersAfter, lockStallTimeout: options.lockStallTimeout,
  });
  return {
    connection: { ...c },
    statement: options.statement.trim(),
    threads: positiveInt('threads', options.threads, d.threads, MAX_THREADS, '--threads'),
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
    dryRun: options.dryRun ?? d.dryRun,
    discardForeignKeys: options.discardForeignKeys ?? d.discardForeignKeys,
    alterForeignKeysMethod: foreignKeysMethod(options.alterForeignKeysMethod),
    rebuildChildMaxRows: positiveInt('rebuildChildMaxRows', options.rebuildChildMaxRows, d.rebuildChildMaxRows, 1_000_000_000_000, '--rebuild-child-max-rows'),
    deferIndexes: options.deferIndexes ?? d.deferIndexes,
    lockConflictTimeout: positiveInt('lockConflictTimeout', options.lockConflictTimeout, d.lockConflictTimeout, 86_400, '--lock-conflict-timeout'),
    cutoverAttempts: positiveInt('cutoverAttempts', options.cutoverAttempts, d.cutoverAttempts, 100, '--cutover-attempts'),
    reconnectTimeout: positiveInt('reconnectTimeout', options.reconnectTimeout, d.reconnectTimeout, 86_400, 'reconnectTimeout'),
    progressIntervalMs: positiveInt('progressIntervalMs', options.progressIntervalMs, d.progressIntervalMs, 3_600_000, 'progressIntervalMs'),
    serverId: positiveInt('serverId', options.serverId, 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000), 4_294_967_295, '--server-id'),
    plugins: options.plugins ?? [],
    sqlMode: optionalString('sqlMode', options.sqlMode),
    timeZone: optionalString('timeZone', options.timeZone),
    controlSocket: controlSocket(options.controlSocket),
    controlPort: options.controlPort === undefined ? undefined : wholeNumber('controlPort', options.controlPort, 0, 65_535, '--control-port'),
    session: { lockWaitTimeout, innodbLockWaitTimeout: 3 },
  };
}
