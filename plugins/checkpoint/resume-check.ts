/**
 * Decides whether a run may resume from the checkpoint, checking in order: the checkpoint table
 * and its row exist (else: fresh, or a shadow without checkpoint); same statement; same table; a
 * format version this code reads; phase `cut-over` (an earlier run swapped the tables: finish its
 * cleanup, nothing else); the shadow table exists (else, with an old table there, a probable
 * unrecorded swap: always a stop); every field decodes; age within maxAge; the binlog position
 * belongs to this server, or translates to it through its GTID position; the binlog is still
 * there. A definitive reason not to resume is returned as a ResumeRefusedError (the caller throws
 * it or starts fresh); any other failure (a lost connection) is thrown as it is.
 */
import {
  checkpointTableName, CUT_OVER_PHASE, oldTableName, queryRows, shadowTableName, swapTableNames,
  type BinlogPosition, type Queryable, type ResumePoint, type ServerFlavor,
} from '../../plugin-api.ts';
import { decodeWatermark, WatermarkCodecError } from './codec.ts';
import { formatDuration } from '../../plugin-api.ts';
import {
  BinlogNotFoundError, CheckpointFormatError, CheckpointMissingError, CheckpointTooOldError,
  MismatchedKeyError, MismatchedStatementError, MismatchedTableError, PossiblyCutOverError, ServerChangedError, ShadowTableMissingError,
  type ResumeRefusedError,
} from './errors.ts';
import { describeServer, gtidAt, sameGtidPos, sameServer, serverIdentity } from './identity.ts';
import { ageMicros, CheckpointTable, existingTables, FORMAT_VERSION, type ServerIdentity } from './table.ts';
import { findGtidPosition } from './translate.ts';

export interface ResumeCheckInput {
  readonly db: Queryable;
  readonly flavor: ServerFlavor;
  readonly schema: string;
  readonly table: string;
  readonly statement: string;
  /** keyText of the key chosen for this run: a checkpoint of another key is refused. */
  readonly key: string;
  readonly maxAgeMs: number;
}

export type ResumeDecision =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'refused'; readonly error: ResumeRefusedError }
  /** Never a fresh start, strict or not: throw it. */
  | { readonly kind: 'stop'; readonly error: Error }
  /** An earlier run swapped the tables; only its cleanup remains. */
  | { readonly kind: 'cut-over'; readonly point: ResumePoint }
  | {
    readonly kind: 'resume'; readonly point: ResumePoint; readonly ageMs: number; readonly updatedAt: string; readonly phase: string;
    /** Set when the saved position belonged to another server and was translated through its GTID position. */
    readonly translated?: string;
  };

const ER_NO_SUCH_TABLE = 1146;

export async function checkResume(input: ResumeCheckInput): Promise<ResumeDecision> {
  const { db, schema, table, statement } = input;
  const shadow = shadowTableName(table);
  const name = checkpointTableName(table);
  const refuse = (error: ResumeRefusedError): ResumeDecision => ({ kind: 'refused', error });
  const unreadable = (detail: string) => refuse(new CheckpointFormatError(schema, name, detail, shadow));

  const oldNames = [oldTableName(table), swapTableNames(table).old];
  const found = await existingTables(db, schema, [shadow, name, ...oldNames]);
  const hasShadow = found.has(shadow);
  if (!found.has(name)) return hasShadow ? refuse(new CheckpointMissingError(schema, shadow, name, 'table')) : { kind: 'fresh' };

  let rows: Record<string, unknown>[];
  try {
    rows = await new CheckpointTable(db, schema, name).rows();
  } catch (err) {
    if ((err as { errno?: number }).errno === ER_NO_SUCH_TABLE) return hasShadow ? refuse(new CheckpointMissingError(schema, shadow, name, 'table')) : { kind: 'fresh' };
    throw err;
  }
  if (rows.length === 0) return hasShadow ? refuse(new CheckpointMissingError(schema, shadow, name, 'row')) : refuse(new ShadowTableMissingError(schema, shadow, name));
  if (rows.length > 1) return unreadable('it holds more than one row');
  const row = rows[0]!;

  if (typeof row.statement !== 'string') return unreadable('no statement column');
  if (row.statement !== statement) return refuse(new MismatchedStatementError(schema, name, row.statement, shadow));
  if (typeof row.table_name !== 'string') return unreadable('no table_name column');
  if (row.table_name !== table) return refuse(new MismatchedTableError(schema, name, row.table_name, shadow));

  const version = Number(row.format_version);
  if (row.format_version === undefined || row.format_version === null || !Number.isInteger(version)) return unreadable('no format version');
  if (version !== FORMAT_VERSION) return unreadable(`format version ${version}; this Sluice reads version ${FORMAT_VERSION}`);
  if (typeof row.copy_key !== 'string') return unreadable('no copy_key column');
  if (row.copy_key !== input.key) return refuse(new MismatchedKeyError(schema, name, row.copy_key, input.key, shadow));

  if (row.phase === CUT_OVER_PHASE) {
    if (typeof row.old_table !== 'string' || row.old_table === '') return unreadable('phase cut-over without old_table');
    return { kind: 'cut-over', point: { lowWatermark: 'done', binlog: { file: 'none', position: 4 }, rowsCopied: Number(row.rows_copied) || 0, cutOver: { oldTable: row.old_table } } };
  }
  if (!hasShadow) {
    const old = oldNames.find((n) => found.has(n));
    if (old) return { kind: 'stop', error: new PossiblyCutOverError(schema, name, shadow, old, table) };
    return refuse(new ShadowTableMissingError(schema, shadow, name));
  }

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

  const saved: ServerIdentity = { serverId: String(row.server_id), uuid: typeof row.server_uuid === 'string' && row.server_uuid !== '' ? row.server_uuid : null };
  if (row.server_id === null || row.server_id === undefined) return unreadable('no server_id');
  const here = await serverIdentity(db, input.flavor);
  const where = await positionHere(db, input.flavor, binlog, saved, here);
  if (typeof where === 'string') return refuse(new ServerChangedError(schema, name, where, shadow));
  const translated = where === binlog ? undefined
    : `the checkpoint's ${binlog.file}:${binlog.position} on ${describeServer(saved)} is GTID position ${binlog.gtid}, which is ${where.file}:${where.position} on this server (${describeServer(here)})`;

  const gone = await binlogGone(db, input.flavor, where);
  if (gone) return refuse(new BinlogNotFoundError(schema, name, gone, shadow));

  return {
    kind: 'resume',
    point: { lowWatermark, binlog: where, rowsCopied },
    ageMs,
    updatedAt,
    phase: typeof row.phase === 'string' ? row.phase : 'unknown',
    ...(translated ? { translated } : {}),
  };
}

/**
 * Where replay starts on this server: the saved position when it belongs to this server (same
 * identity and, on MariaDB with a GTID saved, the same GTID position at that offset: a server with
 * the same server_id and other binlogs is another server); else the saved GTID position's place in
 * this server's binlogs (MariaDB). A string says why neither works.
 */
async function positionHere(
  db: Queryable, flavor: ServerFlavor, saved: BinlogPosition, from: ServerIdentity, here: ServerIdentity,
): Promise<BinlogPosition | string> {
  const same = sameServer(from, here);
  if (same && !(flavor.mariadb && saved.gtid !== undefined)) return saved;
  if (same) {
    if ((await binlogGone(db, flavor, saved)) !== undefined) return saved; // purged here: BinlogNotFoundError
    const at = await gtidAt(db, flavor, saved);
    if (at !== undefined && sameGtidPos(at, saved.gtid!)) return saved;
  }
  const who = same ? `this server (${describeServer(here)}) has other binlogs than the one that wrote it` : `it was written on ${describeServer(from)}, this is ${describeServer(here)}`;
  if (saved.gtid === undefined) return `${who}, and it holds no GTID position to translate ${saved.file}:${saved.position} with`;
  if (!flavor.mariadb) return `${who}; translating a position through GTIDs is implemented for MariaDB only`;
  const found = await findGtidPosition(db, saved.gtid);
  if (!found) return `${who}, and no position in this server's binlogs has GTID position ${saved.gtid} (not a replica that applied it, or its binlogs were purged)`;
  return { ...found, gtid: saved.gtid };
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
