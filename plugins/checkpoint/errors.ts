/**
 * Errors the checkpoint plugin raises on purpose. Every message is one line: what is wrong, then
 * what to do. The resume refusals (strict mode) carry `reason`, a short phrase the non-strict
 * mode logs as its warning before it starts fresh.
 */
import { InvalidOptionError, SluiceError } from '../../plugin-api.ts';
import { oneLine } from '../../plugin-api.ts';

const q = (schema: string, table: string) => `\`${schema}\`.\`${table}\``;

/** A definitive reason not to resume (strict mode throws it; non-strict logs `reason` and starts fresh). */
export abstract class ResumeRefusedError extends SluiceError {
  /** Short description of why the checkpoint cannot be used. */
  readonly reason: string;
  constructor(code: string, reason: string, todo: string) {
    super(code, `cannot resume: ${reason}; ${todo}`);
    this.reason = reason;
  }
}

function startOver(schema: string, checkpoint: string, shadow: string): string {
  return `drop ${q(schema, checkpoint)} and ${q(schema, shadow)} to start over, or run without --strict to start fresh automatically`;
}

/** The shadow table is there but the checkpoint table, or its row, is not. */
export class CheckpointMissingError extends ResumeRefusedError {
  constructor(schema: string, shadow: string, checkpoint: string, what: 'table' | 'row') {
    super(
      'CHECKPOINT_MISSING',
      `shadow table ${q(schema, shadow)} exists but its checkpoint ${what === 'table' ? `table ${q(schema, checkpoint)} is missing` : `table ${q(schema, checkpoint)} has no row`}`,
      `drop ${q(schema, shadow)} to start over, or run without --strict to start fresh automatically`,
    );
  }
}

/** A checkpoint is there but the shadow table it belongs to is not. */
export class ShadowTableMissingError extends ResumeRefusedError {
  constructor(schema: string, shadow: string, checkpoint: string) {
    super(
      'CHECKPOINT_SHADOW_MISSING',
      `checkpoint ${q(schema, checkpoint)} exists but the shadow table ${q(schema, shadow)} is gone`,
      `check whether an earlier run already cut over, then drop ${q(schema, checkpoint)} (or run without --strict) to start fresh`,
    );
  }
}

/** The checkpoint was written for another statement. */
export class MismatchedStatementError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, saved: string, shadow: string) {
    super(
      'CHECKPOINT_STATEMENT_MISMATCH',
      `checkpoint ${q(schema, checkpoint)} was written for a different statement (${preview(saved)})`,
      `run that statement to resume it, or ${startOver(schema, checkpoint, shadow)}`,
    );
  }
}

/** The checkpoint's low watermark is a tuple of another key than the one chosen for this run. */
export class MismatchedKeyError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, saved: string, chosen: string, shadow: string) {
    super(
      'CHECKPOINT_KEY_MISMATCH',
      `checkpoint ${q(schema, checkpoint)} was written while copying by key ${saved}, but this run chose ${chosen}`,
      `restore the key the checkpoint was written with, or ${startOver(schema, checkpoint, shadow)}`,
    );
  }
}

/** The checkpoint names another table (a hand-copied table, or a name collision). */
export class MismatchedTableError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, savedTable: string, shadow: string) {
    super(
      'CHECKPOINT_TABLE_MISMATCH',
      `checkpoint ${q(schema, checkpoint)} belongs to table ${JSON.stringify(savedTable)}, not to this one`,
      startOver(schema, checkpoint, shadow),
    );
  }
}

/** The checkpoint was last written longer ago than maxAge. */
export class CheckpointTooOldError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, age: string, maxAge: string, shadow: string) {
    super(
      'CHECKPOINT_TOO_OLD',
      `checkpoint ${q(schema, checkpoint)} was last written ${age} ago, more than the maximum age ${maxAge}`,
      `raise --checkpoint-max-age to resume it anyway, or ${startOver(schema, checkpoint, shadow)}`,
    );
  }
}

/** The binlog the checkpoint would replay from is no longer on the server. */
export class BinlogNotFoundError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, detail: string, shadow: string) {
    super(
      'CHECKPOINT_BINLOG_NOT_FOUND',
      `the binlog checkpoint ${q(schema, checkpoint)} resumes from is gone (${detail})`,
      `keep binlogs longer (binlog_expire_logs_seconds) next time; ${startOver(schema, checkpoint, shadow)}`,
    );
  }
}

/** The checkpoint row cannot be read: another format version, or a field that does not decode. */
export class CheckpointFormatError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, detail: string, shadow: string) {
    super(
      'CHECKPOINT_FORMAT',
      `checkpoint ${q(schema, checkpoint)} is unreadable (${detail})`,
      `resume it with the Sluice version that wrote it, or ${startOver(schema, checkpoint, shadow)}`,
    );
  }
}

/**
 * The checkpoint's binlog position belongs to another server (a failover behind the same host
 * name, or a checkpoint copied elsewhere) and cannot be translated through GTIDs to this one.
 */
export class ServerChangedError extends ResumeRefusedError {
  constructor(schema: string, checkpoint: string, detail: string, shadow: string) {
    super(
      'CHECKPOINT_SERVER_CHANGED',
      `checkpoint ${q(schema, checkpoint)} was written on another server and its binlog position cannot be used here (${detail})`,
      `resume on the server that wrote it, or ${startOver(schema, checkpoint, shadow)}`,
    );
  }
}

/**
 * The checkpoint does not say the tables were swapped, yet the shadow table is gone and an old
 * table is there: an earlier run probably swapped them and stopped before recording it. Never a
 * fresh start (that would alter the migrated table again), in strict mode or not.
 */
export class PossiblyCutOverError extends SluiceError {
  constructor(schema: string, checkpoint: string, shadow: string, oldTable: string, table: string) {
    super(
      'CHECKPOINT_POSSIBLY_CUT_OVER',
      `cannot resume: shadow table ${q(schema, shadow)} is gone and ${q(schema, oldTable)} is there, so an earlier run has probably already swapped the tables; ` +
        `check that ${q(schema, table)} has the new structure, then drop ${q(schema, oldTable)} and ${q(schema, checkpoint)}; nothing was changed`,
    );
  }
}

/** Saving the checkpoint failed: the migration stops and keeps every table, so the next run resumes. */
export class CheckpointWriteError extends SluiceError {
  constructor(schema: string, checkpoint: string, detail: string, options?: { cause?: unknown }) {
    super(
      'CHECKPOINT_WRITE',
      `saving checkpoint ${q(schema, checkpoint)} failed (${oneLine(detail)}); the migration stopped with every table kept: fix the cause and run it again to resume`,
      options,
    );
  }
}

/** A plugin option is invalid (an InvalidOptionError: the CLI exits with the usage code). */
export class CheckpointOptionError extends InvalidOptionError {
  constructor(message: string) {
    super(message);
  }
}


function preview(statement: string): string {
  const s = oneLine(statement);
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 117)}...` : s);
}
