/**
 * Decides whether a run may resume from the checkpoint, checking in order: the shadow table
 * exists; the checkpoint table and its row exist; same statement; same table; a format version
 * this code reads; age within maxAge; the binlog file still on the server. A definitive reason
 * not to resume is returned as a ResumeRefusedError (the caller throws it or starts fresh); any
 * other failure (a lost connection) is thrown as it is.
 */
import {
  checkpointTableName, queryRows, shadowTableName,
  type BinlogPosition, type Queryable, type ResumePoint, type ServerFlavor,
} from '../../plugin-api.ts';
import { decodeWatermark, WatermarkCodecError } from './codec.ts';
import { formatDuration } from '../../plugin-api.ts';
import {
  BinlogNotFoundError, CheckpointFormatError, CheckpointMissingError, CheckpointTooOldError,
  MismatchedStatementError, MismatchedTableError, ShadowTableMissingError, type ResumeRefusedError,
} from './errors.ts';
import { ageMicros, CheckpointTable, existingTables, FORMAT_VERSION } from './table.ts';

export interface ResumeCheckInput {
  readonly db: Queryable;
  readonly flavor: ServerFlavor;
  readonly schema: string;
  readonly table: string;
  readonly statement: string;
  readonly maxAgeMs: number;
}

export type ResumeDecision =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'refused'; readonly error: ResumeRefusedError }
  | { readonly kind: 'resume'; readonly point: ResumePoint; readonly ageMs: number; readonly updatedAt: string; readonly phase: string };

const ER_NO_SUCH_TABLE = 1146;

export async function checkResume(input: ResumeCheckInput): Promise<ResumeDecision> {
  const { db, schema, table, statement } = input;
  const shadow = shadowTableName(table);
  const name = checkpointTableName(table);
  const refuse = (error: ResumeRefusedError): ResumeDecision => ({ kind: 'refused', error });
  const unreadable = (detail: string) => refuse(new CheckpointFormatError(schema, name, detail, shadow));

  const found = await existingTables(db, schema, [shadow, name]);
  const hasShadow = found.has(shadow);
  if (!found.has(name)) return hasShadow ? refuse(new CheckpointMissingError(schema, shadow, name, 'table')) : { kind: 'fresh' };
  if (!hasShadow) return refuse(new ShadowTableMissingError(schema, shadow, name));

  let rows: Record<string, unknown>[];
  try {
    rows = await new CheckpointTable(db, schema, name).rows();
  } catch (err) {
    if ((err as { errno?: number }).errno === ER_NO_SUCH_TABLE) return refuse(new CheckpointMissingError(schema, shadow, name, 'table'));
    throw err;
  }
  if (rows.length === 0) return refuse(new CheckpointMissingError(schema, shadow, name, 'row'));
  if (rows.length > 1) return unreadable('it holds more than one row');
  const row = rows[0]!;

  if (typeof row.statement !== 'string') return unreadable('no statement column');
  if (row.statement !== statement) return refuse(new MismatchedStatementError(schema, name, row.statement, shadow));
  if (typeof row.table_name !== 'string') return unreadable('no table_name column');
  if (row.table_name !== table) return refuse(new MismatchedTableError(schema, name, row.table_name, shadow));

  const version = Number(row.format_version);
  if (row.format_version === undefined || row.format_version === null || !Number.isInteger(version)) return unreadable('no format version');
  if (version !== FORMAT_VERSION) return unreadable(`format version ${version}; this Sluice reads version ${FORMAT_VERSION}`);

  let lowWatermark;
  try {
    lowWatermark = decodeWatermark(row.low_watermark);
  } catch (err) {
    if (err instanceof WatermarkCodecError) return unreadable(err.message);
    throw err;
  }
  const rowsCopied = Number(row.rows_copied);
  const file = row.binlog_file;
  const position = Number(row.binlog_position);
  const gtid = row.binlog_gtid;
  const updatedAt = row.updated_at;
  if (!Number.isSafeInteger(rowsCopied) || rowsCopied < 0) return unreadable('rows_copied is not a row count');
  if (typeof file !== 'string' || file === '' || !Number.isSafeInteger(position) || position < 4) return unreadable('no valid binlog position');
  if (gtid !== null && gtid !== undefined && typeof gtid !== 'string') return unreadable('binlog_gtid is not text');
  if (typeof updatedAt !== 'string') return unreadable('no updated_at timestamp');
  const binlog: BinlogPosition = { file, position, ...(typeof gtid === 'string' && gtid !== '' ? { gtid } : {}) };

  const micros = await ageMicros(db, updatedAt);
  if (micros === null) return unreadable(`updated_at ${JSON.stringify(updatedAt)} is not a timestamp`);
  const ageMs = Math.max(0, micros / 1000);
  if (ageMs > input.maxAgeMs) {
    return refuse(new CheckpointTooOldError(schema, name, formatDuration(ageMs), formatDuration(input.maxAgeMs), shadow));
  }

  const gone = await binlogGone(db, input.flavor, binlog);
  if (gone) return refuse(new BinlogNotFoundError(schema, name, gone, shadow));

  return {
    kind: 'resume',
    point: { lowWatermark, binlog, rowsCopied },
    ageMs,
    updatedAt,
    phase: typeof row.phase === 'string' ? row.phase : 'unknown',
  };
}

/**
 * Why replay cannot start at `pos` (undefined: it can). Replay reads by file and position, so the
 * file must still be listed by SHOW BINARY LOGS (binlogs are purged oldest first, so every later
 * file is there too) and be long enough. With a MySQL GTID set saved, nothing in @@gtid_purged may
 * lie outside it. (MariaDB keeps no purged-GTID set: there the file check is the whole check.)
 */
async function binlogGone(db: Queryable, flavor: ServerFlavor, pos: BinlogPosition): Promise<string | undefined> {
  const logs = await queryRows<{ Log_name: string; File_size: unknown }>(db, 'SHOW BINARY LOGS');
  const file = logs.find((l) => String(l.Log_name) === pos.file);
  if (!file) return `${pos.file} is no longer listed by SHOW BINARY LOGS: it was purged`;
  const size = Number(file.File_size);
  if (Number.isFinite(size) && pos.position > size) return `position ${pos.position} is past the end of ${pos.file} (${size} bytes): the binlogs were reset`;
  if (pos.gtid && !flavor.mariadb) {
    const [r] = await queryRows<{ ok: unknown }>(db, 'SELECT GTID_SUBSET(@@GLOBAL.gtid_purged, ?) AS ok', [pos.gtid]);
    if (Number(r?.ok) === 0) return 'transactions it needs were purged (@@gtid_purged is not within the saved GTID set)';
  }
  return undefined;
}
