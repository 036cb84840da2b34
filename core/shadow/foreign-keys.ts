/**
 * The table's own foreign keys on the shadow (core/preflight/foreign-keys.ts decides which).
 * `CREATE TABLE … LIKE` copies none, and constraint names are unique per schema, so each gets a
 * name of its own (shadowConstraintName). Column names follow the statement's renames; a
 * constraint on the table itself references the shadow, so the RENAME makes it reference `t`.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../connection/connection.ts';
import { withoutForeignKeyChecks } from '../connection/foreign-key-checks.ts';
import { qualifiedName } from '../format.ts';
import { constraintClause, selfReferencing, type ForeignKeyDefinition } from '../table/foreign-keys.ts';
import { MAX_IDENTIFIER_LENGTH } from '../table/names.ts';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The shadow's name for the constraint `name` of `table`:
 *   - a server-generated `<table>_ibfk_<n>` becomes `<shadow>_ibfk_<n>`: InnoDB renames such names
 *     with their table, so after the swap it is `<table>_ibfk_<n>` again (and the original's
 *     becomes `<old table>_ibfk_<n>`), checked on MariaDB 10.11;
 *   - any other name gets pt-osc's scheme: one leading underscore more, or two fewer when it starts
 *     with `__`; cut to 64 characters with a digest. core/cutover/foreign-keys.ts gives it its
 *     original name back once the old table is dropped.
 */
export function shadowConstraintName(table: string, shadow: string, name: string): string {
  const generated = new RegExp(`^${escapeRegExp(table)}_ibfk_(\\d+)$`).exec(name);
  if (generated && `${shadow}_ibfk_${generated[1]}`.length <= MAX_IDENTIFIER_LENGTH) return `${shadow}_ibfk_${generated[1]}`;
  return underscoreName(name);
}

/** pt-osc's other name for a constraint: `_name`, or `name` for `__name`; at most 64 characters. */
export function underscoreName(name: string): string {
  const plain = name.startsWith('__') ? name.slice(2) : `_${name}`;
  if (plain.length <= MAX_IDENTIFIER_LENGTH) return plain;
  const digest = createHash('sha1').update(name).digest('hex').slice(0, 8);
  return `_${name.slice(0, MAX_IDENTIFIER_LENGTH - digest.length - 2)}_${digest}`;
}

/** The definition as it stands on the shadow: renamed columns, and a self-reference pointing at the shadow. */
export function onShadow(fk: ForeignKeyDefinition, shadow: string, renamed: ReadonlyMap<string, string>): ForeignKeyDefinition {
  const lower = new Map([...renamed].map(([from, to]) => [from.toLowerCase(), to]));
  const rename = (c: string) => lower.get(c.toLowerCase()) ?? c;
  const self = selfReferencing(fk);
  return {
    ...fk,
    table: shadow,
    columns: fk.columns.map(rename),
    refTable: self ? shadow : fk.refTable,
    refColumns: self ? fk.refColumns.map(rename) : fk.refColumns,
  };
}

/** One ALTER adding every constraint to the new, empty shadow; `conn` is one connection (a session setting is changed). */
export async function addShadowForeignKeys(conn: Queryable, table: string, shadow: string, fks: readonly ForeignKeyDefinition[], renamed: ReadonlyMap<string, string>): Promise<void> {
  if (fks.length === 0) return;
  const clauses = fks.map((fk) => `ADD ${constraintClause(onShadow(fk, shadow, renamed), shadowConstraintName(table, shadow, fk.name))}`);
  // Checks off: the shadow is empty, and a self-reference names a table with no rows yet.
  await withoutForeignKeyChecks(conn, () => conn.query(`ALTER TABLE ${qualifiedName(fks[0]!.schema, shadow)} ${clauses.join(', ')}`));
}
