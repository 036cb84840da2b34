/** Errors of the throttler plugin. Messages are one line: the problem, then the fix. */
import { InvalidOptionError, oneLine, SluiceError } from '../../plugin-api.ts';

/**
 * The source server's load passed `criticalLoad`: the migration stops at once. It is an error, not
 * a cancellation, and not a change of the source table: its checkpoint is kept, so a later run resumes.
 */
export class CriticalLoadError extends SluiceError {
  readonly threadsRunning: number;
  readonly criticalLoad: number;
  constructor(threadsRunning: number, criticalLoad: number) {
    super('CRITICAL_LOAD', `the source server's load is critical (Threads_running=${threadsRunning} > criticalLoad ${criticalLoad}): the migration stopped and kept its state; run it again when the load is lower, or raise criticalLoad`);
    this.threadsRunning = threadsRunning;
    this.criticalLoad = criticalLoad;
  }
}

/** An option of the throttler plugin is not usable (never echoes a password). */
export class ThrottlerOptionError extends InvalidOptionError {
  constructor(message: string) {
    super(message);
  }
}

/** A replica answered, but reports no replication status (it is not a replica). */
export class NotAReplicaError extends SluiceError {
  constructor(replica: string) {
    super('NOT_A_REPLICA', `${replica} reports no replication status (SHOW SLAVE/REPLICA STATUS is empty): fix the replica list (replicas / --replica)`);
  }
}

/**
 * A throttler could not be checked before the migration started (a replica unreachable or not a
 * replica, a throttle query that fails): refused before anything was created.
 */
export class ThrottlerUnavailableError extends SluiceError {
  constructor(reason: string) {
    super('THROTTLER_UNAVAILABLE', `cannot check the throttlers, so the copy could not be paused when it must: ${oneLine(reason)}; nothing was changed: fix the replica list (replicas / --replica) or the throttle query, then run again`);
  }
}

/**
 * Throttle checks kept failing for `failAfter` during the run (the copy was paused all along: fail
 * closed). An error, not a cancellation: the checkpoint is kept, so a later run resumes.
 */
export class ThrottleCheckFailedError extends SluiceError {
  readonly failingMs: number;
  constructor(reason: string, failingMs: number) {
    super('THROTTLE_CHECK_FAILED', `throttle checks failed for ${(failingMs / 1000).toFixed(1)} s (${oneLine(reason)}): the migration stopped and kept its state; fix what the checks need and run it again to resume, or raise throttle.failAfter (--throttle-fail-after)`);
    this.failingMs = failingMs;
  }
}
