/**
 * checkServerSettings: the binary log must exist and carry full row images that Sluice can decode.
 * All variables are read in one `SHOW GLOBAL VARIABLES`; one the server does not have (a MySQL
 * variable on MariaDB, or the other way round) is simply absent and skipped.
 */
import { queryRows, type Queryable, type ServerFlavor } from '../connection/connection.ts';
import {
  BinlogCompressionError, BinlogDisabledError, BinlogFormatError, BinlogRowImageError, BinlogRowValueOptionsError,
  MaxWriteLockCountError,
} from './errors.ts';

export const CHECKED_VARIABLES = [
  'log_bin',
  'binlog_format',
  'binlog_row_image',
  'binlog_row_value_options', // MySQL 8
  'binlog_transaction_compression', // MySQL 8.0.20+
  'log_bin_compress', // MariaDB
  'max_write_lock_count',
] as const;

/**
 * The least max_write_lock_count Sluice accepts. The cutover needs two exclusive ("hog") grants on
 * the table in a row while the application's writes wait: the lock, then the RENAME. Once the
 * server has granted max_write_lock_count such locks in a row with weaker requests waiting, it
 * lets the weaker ones go first: measured on MariaDB 10.11, with 1 queued INSERTs ran between the
 * UNLOCK and the RENAME and landed in the old table. 2 covers Sluice's own grants; 100 leaves room
 * for other sessions' exclusive locks on the table in the same burst. See core/cutover/README.md.
 */
export const MIN_MAX_WRITE_LOCK_COUNT = 100;

const isOn = (v: string) => v === 'ON' || v === '1' || v === 'TRUE';

/** Reads the global variables Sluice depends on: name (lower case) -> value (upper case). */
export async function readServerSettings(db: Queryable): Promise<Map<string, string>> {
  const rows = await queryRows<{ Variable_name: string; Value: unknown }>(
    db,
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${CHECKED_VARIABLES.map(() => '?').join(', ')})`,
    [...CHECKED_VARIABLES],
  );
  return new Map(rows.map((r) => [String(r.Variable_name).toLowerCase(), String(r.Value ?? '').trim().toUpperCase()]));
}

/**
 * Throws the first problem found, in the order: log_bin, binlog_format, binlog_row_image,
 * binlog_row_value_options, compression, max_write_lock_count. `flavor` orders the compression checks (the server's own
 * variable first); both are checked when present.
 */
export async function checkServerSettings(db: Queryable, flavor: ServerFlavor): Promise<void> {
  const vars = await readServerSettings(db);
  const logBin = vars.get('log_bin');
  if (logBin !== undefined && !isOn(logBin)) throw new BinlogDisabledError(logBin);
  const format = vars.get('binlog_format');
  if (format !== undefined && format !== 'ROW') throw new BinlogFormatError(format);
  const image = vars.get('binlog_row_image');
  if (image !== undefined && image !== 'FULL') throw new BinlogRowImageError(image);
  const valueOptions = vars.get('binlog_row_value_options');
  if (valueOptions !== undefined && valueOptions !== '') throw new BinlogRowValueOptionsError(valueOptions);
  const compression = flavor.mariadb
    ? ['log_bin_compress', 'binlog_transaction_compression']
    : ['binlog_transaction_compression', 'log_bin_compress'];
  for (const name of compression) {
    const value = vars.get(name);
    if (value !== undefined && isOn(value)) throw new BinlogCompressionError(name, value);
  }
  const writeLocks = vars.get('max_write_lock_count');
  if (writeLocks !== undefined && /^\d+$/.test(writeLocks) && BigInt(writeLocks) < BigInt(MIN_MAX_WRITE_LOCK_COUNT)) {
    throw new MaxWriteLockCountError(writeLocks, MIN_MAX_WRITE_LOCK_COUNT);
  }
}
