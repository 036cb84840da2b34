/**
 * Names the cutover uses besides those of core/table/names.ts.
 *
 * Swap names: during the swap the shadow is `<t>~new` and the original goes to `<t>~old`. The
 * server acquires a RENAME's metadata locks in sorted (byte) order of the names, and `_…` sorts
 * before lower-case names, so with the usual `_t_new`/`_t_old` the RENAME would queue on those
 * first and not on `t`; a name that starts with `t` itself sorts after `t`, so the RENAME's first
 * wait is on `t` and it is queued there ahead of the application's writes (see README.md).
 */
import { createHash } from 'node:crypto';
import { MAX_IDENTIFIER_LENGTH } from '../table/names.ts';
import { CutoverFailedError } from './errors.ts';

export interface SwapNames {
  /** The shadow table's name while the RENAME waits (it becomes `t`). */
  readonly shadow: string;
  /** Where the RENAME puts the original (it is then renamed to the old-table name). */
  readonly old: string;
}

const digest = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 8);

/** The server's metadata-lock order of two names in one schema: byte order of their UTF-8 forms. */
export function sortsAfter(name: string, table: string): boolean {
  return Buffer.compare(Buffer.from(name, 'utf8'), Buffer.from(table, 'utf8')) > 0;
}

function swapName(table: string, tag: string): string {
  const plain = `${table}~${tag}`;
  if (plain.length <= MAX_IDENTIFIER_LENGTH) return plain; // `table` is a proper prefix: sorts after it
  const suffix = `${digest(table)}_${tag}`;
  const prefix = table.slice(0, MAX_IDENTIFIER_LENGTH - suffix.length - 1);
  // The separator decides the order against the table's next character; U+FFEE outranks almost any.
  for (const sep of ['~', '\uFFEE']) {
    const name = `${prefix}${sep}${suffix}`;
    if (sortsAfter(name, table)) return name;
  }
  throw new CutoverFailedError(`no swap name sorts after table \`${table}\`: rename the table to a shorter name, then run again`);
}

export function swapTableNames(table: string): SwapNames {
  return { shadow: swapName(table, 'new'), old: swapName(table, 'old') };
}

/** `yyyymmddHHMMSS` in UTC. */
export function compactTimestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** `_<t>_old_<yyyymmddHHMMSS>`, cut with a digest of the table name when it would exceed 64 chars. */
export function timestampedOldTableName(table: string, now: Date): string {
  const suffix = `old_${compactTimestamp(now)}`;
  const plain = `_${table}_${suffix}`;
  if (plain.length <= MAX_IDENTIFIER_LENGTH) return plain;
  const d = digest(table);
  const room = MAX_IDENTIFIER_LENGTH - (suffix.length + d.length + 3);
  return `_${table.slice(0, room)}_${d}_${suffix}`;
}
