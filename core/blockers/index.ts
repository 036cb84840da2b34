/** The lock guard: bounded table locks, blockers found and killed. */
export { lockTables, LONG_HOLDER_MS, MAX_VICTIM_ROWS, POLL_MS } from './lock.ts';
export { BlockerFinder, type BlockerMethod } from './find.ts';
export { createTableLocks, OwnSessions } from './service.ts';
export { resolveLockPolicy, DEFAULT_LOCK_STALL_SECONDS, KILL_AFTER_FRACTION, type LockPolicyInput } from './policy.ts';
export { killConnection } from './kill.ts';
export { describeBlocker } from './describe.ts';
export { LockBlockedError, ReplayLagError } from './errors.ts';
export type { Blocker, LockGrant, LockLog, LockPolicy, TableLockMode, TableLockRequest, TableLockSpec, TableLocks } from './types.ts';
