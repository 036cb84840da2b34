/** The lock policy from the migration's options, with its defaults and checks. */
import { InvalidOptionError } from '../errors.ts';
import type { LockPolicy } from './types.ts';

/** Default --lock-stall-timeout, seconds. */
export const DEFAULT_LOCK_STALL_SECONDS = 2;
/** Default --kill-blockers-after, as a fraction of --lock-wait-timeout. */
export const KILL_AFTER_FRACTION = 0.5;

export interface LockPolicyInput {
  /** Seconds (--lock-wait-timeout). */
  lockWaitTimeout: number;
  killBlockers?: boolean;
  /** Seconds; may be fractional. */
  killBlockersAfter?: number;
  /** Whole seconds. */
  lockStallTimeout?: number;
}

export function resolveLockPolicy(o: LockPolicyInput): LockPolicy {
  const waitMs = o.lockWaitTimeout * 1000;
  if (o.killBlockers !== undefined && typeof o.killBlockers !== 'boolean') {
    throw new InvalidOptionError(`killBlockers must be true or false, got ${JSON.stringify(o.killBlockers)}: fix --no-kill-blockers (or killBlockers in the config)`);
  }
  let killAfterMs = waitMs * KILL_AFTER_FRACTION;
  if (o.killBlockersAfter !== undefined) {
    const v = o.killBlockersAfter;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v * 1000 >= waitMs) {
      throw new InvalidOptionError(`killBlockersAfter must be a number of seconds from 0 to less than lockWaitTimeout (${o.lockWaitTimeout}), got ${JSON.stringify(v)}: fix --kill-blockers-after`);
    }
    killAfterMs = v * 1000;
  }
  let stallSeconds = Math.min(DEFAULT_LOCK_STALL_SECONDS, o.lockWaitTimeout);
  if (o.lockStallTimeout !== undefined) {
    const v = o.lockStallTimeout;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > o.lockWaitTimeout) {
      throw new InvalidOptionError(`lockStallTimeout must be a whole number of seconds from 1 to lockWaitTimeout (${o.lockWaitTimeout}), got ${JSON.stringify(v)}: fix --lock-stall-timeout`);
    }
    stallSeconds = v;
  }
  return { waitMs, killBlockers: o.killBlockers ?? true, killAfterMs, stallSeconds, sessionLockWaitSeconds: o.lockWaitTimeout };
}
