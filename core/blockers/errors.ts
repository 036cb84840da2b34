/** Errors of the lock guard: each names the sessions in the way and the fix, on one line. */
import { SluiceError } from '../errors.ts';
import { qualifiedName } from '../format.ts';
import type { BinlogPosition } from '../types.ts';
import { describeBlocker } from './describe.ts';
import type { Blocker } from './types.ts';

/** The tables could not be locked within --lock-wait-timeout: other sessions kept their metadata lock. */
export class LockBlockedError extends SluiceError {
  readonly blockers: readonly Blocker[];
  constructor(schema: string, tables: readonly string[], boundMs: number, blockers: readonly Blocker[], killing: boolean, options?: { cause?: unknown }) {
    const names = tables.map((t) => qualifiedName(schema, t)).join(', ');
    const who = blockers.length === 0
      ? 'sessions holding their metadata lock kept the LOCK TABLES waiting (Sluice sees only the sessions its user may see: grant PROCESS to see them all)'
      : `held by ${blockers.slice(0, 3).map(describeBlocker).join('; ')}${blockers.length > 3 ? ` and ${blockers.length - 3} more` : ''}`;
    const fix = killing
      ? 'end those transactions or raise --lock-wait-timeout'
      : 'end those transactions, or let Sluice kill them (drop --no-kill-blockers)';
    super('LOCK_BLOCKED', `could not lock ${names} within ${Math.round(boundMs / 100) / 10} s: ${who}; ${fix}, then run again to resume`, options);
    this.blockers = blockers;
  }
}

/** Replay did not receive the binlog up to a position in time (before or under a table lock). */
export class ReplayLagError extends SluiceError {
  constructor(pos: BinlogPosition, timeoutMs: number, where: string) {
    super(
      'REPLAY_LAG',
      `binlog replay did not reach ${pos.file}:${pos.position} within ${Math.round(timeoutMs / 100) / 10} s ${where}: the binlog stream is slow or stalled; check replication load, then run again to resume`,
    );
  }
}
