/** The advisory lock's name for a table: `sluice.<schema>.<table>`, hashed when it would not fit. */
import { createHash } from 'node:crypto';

/** MySQL refuses longer GET_LOCK names (MariaDB does not, but the name must work on both). */
export const MAX_LOCK_NAME_LENGTH = 64;

export function lockName(schema: string, table: string): string {
  const plain = `sluice.${schema}.${table}`;
  // A dot in a name makes `a.b`.`c` and `a`.`b.c` read alike: hash those too, from an unambiguous form.
  if (plain.length <= MAX_LOCK_NAME_LENGTH && !schema.includes('.') && !table.includes('.')) return plain;
  const digest = createHash('sha1').update(`${schema}\u0000${table}`, 'utf8').digest('hex');
  return `sluice.${digest}`;
}
