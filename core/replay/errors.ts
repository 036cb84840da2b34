/** Errors binlog replay raises on purpose (see README.md). Every message is one line. */
import { SluiceError } from '../errors.ts';
import { oneLine } from '../format.ts';

/** The binlog stream failed (connection lost, purged file, missing privilege, undecodable event). */
export class BinlogStreamError extends SluiceError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('BINLOG_STREAM', `binlog replay stopped: ${oneLine(detail)}; check the server, the binlog retention and the REPLICATION SLAVE/CLIENT grants, then run the migration again to resume`, options);
  }
}

/** A DDL statement on the source table (ALTER, DROP, RENAME, TRUNCATE, CREATE OR REPLACE…) appeared in the binlog. */
export class SourceTableChangedError extends SluiceError {
  readonly statementKind: string;
  constructor(table: string, statementKind: string) {
    super('SOURCE_TABLE_CHANGED', `table ${table} changed during the migration (${statementKind}): the shadow copy is no longer valid; run the migration again`);
    this.statementKind = statementKind;
  }
}

/** waitFor() cannot be satisfied because stop() was called first. */
export class ReplayStoppedError extends SluiceError {
  constructor() {
    super('REPLAY_STOPPED', 'binlog replay was stopped before reaching the requested position; wait for the position before calling stop()');
  }
}

/** A flush still hit deadlocks or lock wait timeouts after every retry. */
export class ReplayFlushError extends SluiceError {
  constructor(shadow: string, keys: number, attempts: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : 'lock conflict';
    super('REPLAY_FLUSH', `replay could not apply ${keys} key(s) to ${shadow} after ${attempts} attempts (${oneLine(why)}); reduce concurrent load on the table or retry the migration`, options);
  }
}

/** A flush was called in a way that cannot work (underLock without the lock's connection). */
export class ReplayUsageError extends SluiceError {
  constructor(message: string) {
    super('REPLAY_USAGE', message);
  }
}

