/** Errors the checksum plugin raises on purpose (re-exported from mod.ts by the lead). */
import { InvalidOptionError, SluiceError } from '../../plugin-api.ts';
import type { KeyTuple } from '../../plugin-api.ts';

/** The shadow table still differs from the source after `passes` verifications: no cutover. */
export class ChecksumMismatchError extends SluiceError {
  readonly lower: KeyTuple | null;
  readonly upper: KeyTuple | null;
  readonly passes: number;
  readonly likelyCause: string;
  constructor(details: { table: string; range: string; lower: KeyTuple | null; upper: KeyTuple | null; passes: number; chunks: number; counts: string; cause: string; fix: string }) {
    super(
      'CHECKSUM_MISMATCH',
      `checksum mismatch on ${details.table} in rows ${details.range} after ${details.passes} pass(es)` +
        ` (${details.chunks} chunk(s) differ; first: ${details.counts}): ${details.cause}; the table was not cut over: ${details.fix}`,
    );
    this.lower = details.lower;
    this.upper = details.upper;
    this.passes = details.passes;
    this.likelyCause = details.cause;
  }
}

/** A checksum plugin option is not usable (raised when the plugin is created). */
export class ChecksumOptionError extends InvalidOptionError {
  constructor(message: string) {
    super(message);
  }
}

/** The shadow table's column mapping does not match the inspected tables (an engine bug). */
export class ChecksumSetupError extends SluiceError {
  constructor(message: string) {
    super('CHECKSUM_SETUP', message);
  }
}

/** LOCK TABLES for taking the snapshots kept timing out behind other sessions' metadata locks. */
export class ChecksumLockError extends SluiceError {
  constructor(table: string, attempts: number, waitSeconds: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? ` (last: ${options.cause.message})` : '';
    super(
      'CHECKSUM_LOCK_TIMEOUT',
      `could not lock ${table} and its shadow table to take the checksum snapshots (${attempts} attempt(s) of ${waitSeconds} s)${why}`,
      options,
    );
  }
}

/** Replay did not deliver the binlog's tail in time under the snapshot lock (or before it), every attempt. */
export class ChecksumCatchUpError extends SluiceError {
  constructor(table: string, attempts: number, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? options.cause.message : 'binlog replay is behind';
    super('CHECKSUM_CATCH_UP', `could not take the checksum snapshots of ${table} in ${attempts} attempt(s): ${why}`, options);
  }
}
