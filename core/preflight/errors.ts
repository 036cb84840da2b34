/** Refusals raised before anything is changed on the server: one class per reason, one-line messages. */
import { SluiceError } from '../errors.ts';
import { qualifiedName } from '../format.ts';


// ── the statement ─────────────────────────────────────────────────────────────────────────────

/** The ALTER is valid SQL but Sluice will not run it (RENAME TO, ALGORITHM=, PK change, FK, partitions). */
export class UnsupportedAlterError extends SluiceError {
  /** The offending clause as written. */
  readonly clause: string;
  constructor(clause: string, message: string) {
    super('UNSUPPORTED_ALTER', message);
    this.clause = clause;
  }
}

// ── the server ────────────────────────────────────────────────────────────────────────────────

/** A server variable has a value Sluice cannot work with. */
export class ServerSettingError extends SluiceError {
  readonly variable: string;
  readonly value: string;
  constructor(code: string, variable: string, value: string, message: string) {
    super(code, message);
    this.variable = variable;
    this.value = value;
  }
}

export class BinlogDisabledError extends ServerSettingError {
  constructor(value: string) {
    super('BINLOG_DISABLED', 'log_bin', value,
      `the binary log is off (log_bin=${value}): restart the server with --log-bin (and --binlog-format=ROW --binlog-row-image=FULL)`);
  }
}

export class BinlogFormatError extends ServerSettingError {
  constructor(value: string) {
    super('BINLOG_FORMAT', 'binlog_format', value,
      `binlog_format is ${value}, Sluice needs ROW: run SET GLOBAL binlog_format='ROW' (and set it in the server config)`);
  }
}

export class BinlogRowImageError extends ServerSettingError {
  constructor(value: string) {
    super('BINLOG_ROW_IMAGE', 'binlog_row_image', value,
      `binlog_row_image is ${value}, Sluice needs FULL: run SET GLOBAL binlog_row_image='FULL' (and set it in the server config)`);
  }
}

export class BinlogRowValueOptionsError extends ServerSettingError {
  constructor(value: string) {
    super('BINLOG_ROW_VALUE_OPTIONS', 'binlog_row_value_options', value,
      `binlog_row_value_options is '${value}' (partial JSON updates cannot be replayed): run SET GLOBAL binlog_row_value_options=''`);
  }
}

export class BinlogCompressionError extends ServerSettingError {
  constructor(variable: string, value: string) {
    super('BINLOG_COMPRESSION', variable, value,
      `binlog compression is on (${variable}=${value}) and compressed events cannot be read: run SET GLOBAL ${variable}=OFF`);
  }
}

/** max_write_lock_count so low that queued writes may overtake the cutover's RENAME and land in the old table. */
export class MaxWriteLockCountError extends ServerSettingError {
  constructor(value: string, minimum: number) {
    super('MAX_WRITE_LOCK_COUNT', 'max_write_lock_count', value,
      `max_write_lock_count is ${value}, below ${minimum}: writes queued during the cutover could reach the old table; run SET GLOBAL max_write_lock_count=DEFAULT (or at least ${minimum}) for the migration`);
  }
}

// ── the user ──────────────────────────────────────────────────────────────────────────────────

export interface MissingGrant {
  /** e.g. "REPLICATION SLAVE" */
  readonly privilege: string;
  /** `*.*` or `` `db`.* `` */
  readonly on: string;
}

export class MissingPrivilegeError extends SluiceError {
  readonly missing: readonly MissingGrant[];
  /** The statements that fix it, e.g. ["GRANT REPLICATION SLAVE ON *.* TO 'u'@'%'"]. */
  readonly grants: readonly string[];
  constructor(missing: readonly MissingGrant[], grants: readonly string[]) {
    const list = missing.map((m) => `${m.privilege} ON ${m.on}`).join(', ');
    super('MISSING_PRIVILEGE', `the user lacks ${list}: run ${grants.join('; ')}`);
    this.missing = missing;
    this.grants = grants;
  }
}

// ── the table ─────────────────────────────────────────────────────────────────────────────────

export class NoPrimaryKeyError extends SluiceError {
  constructor(schema: string, table: string) {
    super('NO_PRIMARY_KEY',
      `${qualifiedName(schema, table)} has no PRIMARY KEY, which Sluice needs to copy in chunks and replay changes: add one first with a plain ALTER TABLE`);
  }
}

/**
 * No set of NOT NULL columns is unique in both the old and the new table with values the ALTER
 * keeps (core/preflight/key-choice.ts): `considered` says, per key of the old table, why it fails.
 */
export class NoUsableKeyError extends SluiceError {
  readonly considered: readonly string[];
  constructor(schema: string, table: string, considered: readonly string[]) {
    super('NO_USABLE_KEY', considered.length === 0
      ? `${qualifiedName(schema, table)} has no PRIMARY KEY and no UNIQUE key, which Sluice needs to copy in chunks and replay changes: add one first with a plain ALTER TABLE`
      : `${qualifiedName(schema, table)} has no key to copy and replay by that is unique and NOT NULL in both the old and the new table with values the ALTER keeps (${considered.join('; ')}): add such a key first, or run the change as a plain ALTER TABLE`);
    this.considered = considered;
  }
}

export class ForeignKeyError extends SluiceError {
  readonly foreignKeys: readonly { name: string; role: 'child' | 'parent'; otherTable: string }[];
  constructor(schema: string, table: string, foreignKeys: readonly { name: string; role: 'child' | 'parent'; otherTable: string }[]) {
    const list = foreignKeys
      .map((fk) => (fk.role === 'child' ? `${fk.name} references ${fk.otherTable}` : `${fk.name} on ${fk.otherTable} references it`))
      .join('; ');
    super('FOREIGN_KEYS',
      `${qualifiedName(schema, table)} takes part in foreign keys (${list}), which a table swap would break: drop them first or use a native ALTER TABLE`);
    this.foreignKeys = foreignKeys;
  }
}

/** A trigger on the table cannot be moved to the new table (core/triggers): the reason names it. */
export class TriggersError extends SluiceError {
  readonly trigger: string;
  constructor(schema: string, table: string, trigger: string, reason: string, opts?: { cause?: unknown }) {
    super('TRIGGERS',
      `trigger \`${trigger}\` on ${qualifiedName(schema, table)} cannot be moved to the new table: ${reason}; fix or drop it for the migration and recreate it after`, opts);
    this.trigger = trigger;
  }
}

export class PrimaryKeyChangeError extends SluiceError {
  readonly clause: string;
  constructor(clause: string, message: string) {
    super('PRIMARY_KEY_CHANGE', message);
    this.clause = clause;
  }
}

/**
 * The ALTER changes a primary-key column's type in a way that can round or collapse key values
 * (DATETIME(6) → DATETIME, a shorter VARCHAR, another collation…): Sluice copies and replays by
 * the key, so it would drop rows or leave stale ones. Refused before anything is created.
 */
export class KeyColumnChangeError extends SluiceError {
  readonly column: string;
  readonly from: string;
  readonly to: string;
  constructor(schema: string, table: string, column: string, from: string, to: string, why: string) {
    super('KEY_COLUMN_CHANGE',
      `the ALTER changes primary key column ${column} of ${qualifiedName(schema, table)} from ${from} to ${to}, which ${why} (Sluice copies and replays by the key): run that change as a plain ALTER TABLE, or keep the key column's type`);
    this.column = column;
    this.from = from;
    this.to = to;
  }
}

/**
 * A STORED generated column reads a column that the ALTER drops or renames away while a new column
 * takes its name: the server's own ALTER may keep the old stored values there (MariaDB does when
 * it copies rows), a copy recomputes them, so Sluice cannot promise the server's result.
 */
export class StoredGeneratedInputError extends SluiceError {
  readonly column: string;
  readonly input: string;
  constructor(schema: string, table: string, column: string, input: string) {
    super('STORED_GENERATED_INPUT',
      `the ALTER replaces column ${input} of ${qualifiedName(schema, table)}, which the STORED generated column ${column} reads (the server may keep its old stored values, a copy would recompute them): drop and re-add ${input} in separate statements, or run this one as a plain ALTER TABLE`);
    this.column = column;
    this.input = input;
  }
}
