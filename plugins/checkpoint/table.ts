/**
 * The checkpoint table `_<t>_chkpnt`, in the migrated table's schema: one row (id = 1) holding
 * everything a later run needs to resume. Timestamps are the server's UTC clock, so a checkpoint's
 * age never depends on the client's clock.
 */
import mysql from 'mysql2/promise';
import { queryRows, type BinlogPosition, type Queryable, type TableKey } from '../../plugin-api.ts';
import { encodeWatermark, type Watermark } from './codec.ts';

/**
 * Bumped when the row's meaning changes; a run refuses a version it does not know. Version 2 added
 * the server's identity (server_id, server_uuid), binlog_gtid as the exact GTID position at
 * binlog_file:binlog_position, and old_table (phase `cut-over`). Version 1 rows are refused
 * (CheckpointFormatError): they cannot say which server their position belongs to. Version 3
 * added copy_key, the key the low watermark is a tuple of (TableInfo.key: its index and columns).
 */
export const FORMAT_VERSION = 3;

/** The stored form of a key: what a resume must find chosen again. */
export function keyText(key: TableKey): string {
  return JSON.stringify({ index: key.index, shadowIndex: key.shadowIndex, columns: key.columns });
}

/** Which server a checkpoint's binlog position belongs to. */
export interface ServerIdentity {
  /** @@server_id, as a decimal string. */
  readonly serverId: string;
  /** @@server_uuid (MySQL); null on MariaDB, which has none. */
  readonly uuid: string | null;
}

/** What one checkpoint write saves. */
export interface CheckpointRecord {
  readonly table: string;
  readonly statement: string;
  /** keyText of the key the low watermark is a tuple of. */
  readonly key: string;
  readonly lowWatermark: Watermark;
  readonly rowsCopied: number;
  /** Its gtid, when set, is the server's exact GTID position at file:position. */
  readonly binlog: BinlogPosition;
  readonly phase: string;
  /** The server the binlog position belongs to. */
  readonly server: ServerIdentity;
  /** Phase `cut-over` only: where the original table is after the swap. */
  readonly oldTable?: string;
}

export class CheckpointTable {
  readonly #db: Queryable;
  readonly schema: string;
  readonly name: string;
  readonly #qualified: string;

  constructor(db: Queryable, schema: string, name: string) {
    this.#db = db;
    this.schema = schema;
    this.name = name;
    this.#qualified = `${mysql.escapeId(schema)}.${mysql.escapeId(name)}`;
  }

  async create(): Promise<void> {
    await this.#db.query(
      `CREATE TABLE IF NOT EXISTS ${this.#qualified} (
        id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
        format_version INT UNSIGNED NOT NULL,
        table_name VARCHAR(64) NOT NULL,
        statement LONGTEXT NOT NULL,
        copy_key TEXT NOT NULL,
        low_watermark LONGTEXT NOT NULL,
        rows_copied BIGINT UNSIGNED NOT NULL,
        binlog_file VARCHAR(512) NOT NULL,
        binlog_position BIGINT UNSIGNED NOT NULL,
        binlog_gtid TEXT NULL,
        server_id BIGINT UNSIGNED NOT NULL,
        server_uuid VARCHAR(64) NULL,
        phase VARCHAR(64) NOT NULL,
        old_table VARCHAR(64) NULL,
        created_at DATETIME(6) NOT NULL,
        updated_at DATETIME(6) NOT NULL
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT=?`,
      ['Sluice checkpoint: drop it only together with the shadow table to start the migration over'],
    );
  }

  async drop(): Promise<void> {
    await this.#db.query(`DROP TABLE IF EXISTS ${this.#qualified}`);
  }

  /** Inserts or replaces the row in one statement (atomic); created_at is kept from the first write. */
  async write(record: CheckpointRecord): Promise<void> {
    const values = [
      FORMAT_VERSION, record.table, record.statement, record.key, encodeWatermark(record.lowWatermark), record.rowsCopied,
      record.binlog.file, record.binlog.position, record.binlog.gtid ?? null, record.server.serverId, record.server.uuid,
      record.phase, record.oldTable ?? null,
    ];
    await this.#db.query(
      `INSERT INTO ${this.#qualified} (id, format_version, table_name, statement, copy_key, low_watermark, rows_copied,
         binlog_file, binlog_position, binlog_gtid, server_id, server_uuid, phase, old_table, created_at, updated_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
       ON DUPLICATE KEY UPDATE format_version = VALUES(format_version), table_name = VALUES(table_name),
         statement = VALUES(statement), copy_key = VALUES(copy_key), low_watermark = VALUES(low_watermark), rows_copied = VALUES(rows_copied),
         binlog_file = VALUES(binlog_file), binlog_position = VALUES(binlog_position), binlog_gtid = VALUES(binlog_gtid),
         server_id = VALUES(server_id), server_uuid = VALUES(server_uuid), phase = VALUES(phase),
         old_table = VALUES(old_table), updated_at = VALUES(updated_at)`,
      values,
    );
  }

  /** Every row as stored (no interpretation: a table of another format still reads). */
  async rows(): Promise<Record<string, unknown>[]> {
    return queryRows(this.#db, `SELECT * FROM ${this.#qualified} LIMIT 2`);
  }
}

/** Which of `names` exist in `schema`. */
export async function existingTables(db: Queryable, schema: string, names: readonly string[]): Promise<Set<string>> {
  const rows = await queryRows<{ name: string }>(
    db,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)',
    [schema, names],
  );
  return new Set(rows.map((r) => String(r.name)));
}

/** Microseconds from `since` (a DATETIME string in UTC) to the server's UTC clock now. */
export async function ageMicros(db: Queryable, since: string): Promise<number | null> {
  const [row] = await queryRows<{ age: unknown }>(db, 'SELECT TIMESTAMPDIFF(MICROSECOND, ?, UTC_TIMESTAMP(6)) AS age', [since]);
  return row?.age === null || row?.age === undefined ? null : Number(row.age);
}
