/** Errors of the mdl plugin (one migration per table). Messages are one line: the problem, then the fix. */
import { InvalidOptionError, SluiceError } from '../../plugin-api.ts';

/** Another migration (another connection) holds the table's lock: nothing was changed. */
export class LockHeldError extends SluiceError {
  readonly table: string;
  readonly lockName: string;
  /** Connection id holding the lock (IS_USED_LOCK), or null when it was released meanwhile. */
  readonly holder: string | null;
  constructor(table: string, lockName: string, holder: string | null) {
    const who = holder === null ? 'another connection' : `connection ${holder}`;
    const stop = holder === null ? 'stop it' : `stop it (KILL ${holder})`;
    super('LOCK_HELD', `table ${table} is already being migrated: its lock ${lockName} is held by ${who}; wait for that migration to finish or ${stop}, then run again`);
    this.table = table;
    this.lockName = lockName;
    this.holder = holder;
  }
}

/** GET_LOCK returned NULL (the server failed to take it: out of memory, session killed). */
export class LockAcquireError extends SluiceError {
  constructor(table: string, lockName: string) {
    super('LOCK_ACQUIRE_FAILED', `the server could not take the lock ${lockName} for table ${table} (GET_LOCK returned NULL); check the server's error log and run again`);
  }
}

/** The lock was lost while the migration ran (someone else took it, or it could not be confirmed). */
export class LockLostError extends SluiceError {
  readonly table: string;
  readonly lockName: string;
  readonly holder: string | null;
  constructor(table: string, lockName: string, holder: string | null, why?: string) {
    const what = holder !== null
      ? `connection ${holder} now holds it, so another migration of this table may be running`
      : (why ?? 'it could not be confirmed');
    super('LOCK_LOST', `lost the lock ${lockName} on table ${table}: ${what}; make sure only one migration of the table runs, then run again`);
    this.table = table;
    this.lockName = lockName;
    this.holder = holder;
  }
}

/** An option of the mdl plugin is not usable. */
export class MdlOptionError extends InvalidOptionError {
  constructor(message: string) {
    super(message);
  }
}
