/** Errors of the throttler plugin. Messages are one line: the problem, then the fix. */
import { InvalidOptionError, SluiceError } from '../../plugin-api.ts';

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
