/**
 * Names of the tables Sluice creates next to `t`: `_t_new` (shadow), `_t_old` (the original after
 * cutover), `_t_chkpnt` (checkpoint). MySQL and MariaDB cap identifiers at 64 characters: when
 * `_t_<suffix>` would not fit, the table name is cut and an 8-hex digest of the full name keeps
 * it unique, e.g. `_averyveryl…_3f2a9c1b_new`.
 */
import { createHash } from 'node:crypto';

export const MAX_IDENTIFIER_LENGTH = 64;

/** The table whose existence blocks cutover (deferred cutover): created by Sluice or an operator. */
export const CUTOVER_SENTINEL_TABLE = '_sluice_sentinel';

function derivedName(table: string, suffix: string): string {
  const plain = `_${table}_${suffix}`;
  if (plain.length <= MAX_IDENTIFIER_LENGTH) return plain;
  const digest = createHash('sha1').update(table).digest('hex').slice(0, 8);
  const room = MAX_IDENTIFIER_LENGTH - (suffix.length + digest.length + 3);
  return `_${table.slice(0, room)}_${digest}_${suffix}`;
}

export const shadowTableName = (table: string): string => derivedName(table, 'new');
/** Where the original table goes after cutover (see core/cutover). */
export const oldTableName = (table: string): string => derivedName(table, 'old');
export const checkpointTableName = (table: string): string => derivedName(table, 'chkpnt');
