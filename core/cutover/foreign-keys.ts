/**
 * Foreign keys after the swap (see README.md, "Foreign keys"), on one connection of the pool with
 * foreign_key_checks off (the rows are the same rows, so nothing needs validating, and the server
 * adds a constraint in place):
 *   - rebuildChildConstraints (parent side, `--alter-foreign-keys-method rebuild-constraints`): each
 *     child's constraint, which the RENAME left pointing at the old table, is re-created on the new
 *     one. A constraint cannot be dropped and added under one name in one ALTER (MariaDB 10.11:
 *     error 1826), so it moves to a temporary name and back: two ALTERs per child, names unchanged.
 *   - restoreConstraintNames (child side): the table's own constraints that carried a shadow name
 *     (core/shadow/foreign-keys.ts) get their original names back, once the old table that held
 *     those names is gone.
 * Both run after the RENAME; between it and the rebuild the children still reference the old table.
 */
import type { Pool } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { withoutForeignKeyChecks } from '../connection/foreign-key-checks.ts';
import { qualifiedName } from '../format.ts';
import { constraintClause, readForeignKeyDefinitions, type ForeignKeyDefinition } from '../table/foreign-keys.ts';
import { shadowConstraintName, underscoreName } from '../shadow/foreign-keys.ts';

type Db = Pick<Pool, 'getConnection'>;

async function onOneConnection(pool: Db, statements: readonly string[]): Promise<void> {
  if (statements.length === 0) return;
  const conn = await pool.getConnection();
  try {
    await withoutForeignKeyChecks(conn, async () => {
      for (const sql of statements) await conn.query(sql);
    });
  } finally {
    conn.release();
  }
}

/**
 * `children`: the constraints on `schema.table` as inspected before the migration. Those now
 * referencing `oldTable` are re-created to reference `table`, referenced columns renamed as the
 * statement renamed them. Returns the constraints rebuilt (`child.table.name`).
 */
export async function rebuildChildConstraints(
  pool: Db & Pick<Pool, 'query'>, schema: string, table: string, oldTable: string,
  children: readonly ForeignKeyDefinition[], renamed: ReadonlyMap<string, string>,
): Promise<string[]> {
  const lower = new Map([...renamed].map(([from, to]) => [from.toLowerCase(), to]));
  const done: string[] = [];
  for (const child of children) {
    const now = (await readForeignKeyDefinitions(pool, child.schema, child.table, 'child'))
      .find((fk) => fk.name === child.name && fk.refSchema === schema && fk.refTable === oldTable);
    if (!now) continue; // already rebuilt (a rerun) or changed by someone else
    const target = { ...now, refColumns: now.refColumns.map((c) => lower.get(c.toLowerCase()) ?? c) };
    const ref = qualifiedName(child.schema, child.table);
    const temporary = underscoreName(child.name);
    await onOneConnection(pool, [
      `ALTER TABLE ${ref} DROP FOREIGN KEY ${mysql.escapeId(now.name)}, ADD ${constraintClause(target, temporary, { schema, table })}`,
      `ALTER TABLE ${ref} DROP FOREIGN KEY ${mysql.escapeId(temporary)}, ADD ${constraintClause(target, now.name, { schema, table })}`,
    ]);
    done.push(`${child.table}.${child.name}`);
  }
  return done;
}

/**
 * `originals`: the table's own constraints before the migration; `shadow`: the shadow's name they
 * were created under. One ALTER renames every constraint still carrying its shadow name.
 */
export async function restoreConstraintNames(
  pool: Db & Pick<Pool, 'query'>, schema: string, table: string, shadow: string, originals: readonly ForeignKeyDefinition[],
): Promise<string[]> {
  const current = await readForeignKeyDefinitions(pool, schema, table, 'child');
  const names = new Set(current.map((fk) => fk.name));
  const clauses: string[] = [];
  const restored: string[] = [];
  for (const original of originals) {
    if (names.has(original.name)) continue;
    const now = current.find((fk) => fk.name === shadowConstraintName(original.table, shadow, original.name));
    if (!now) continue;
    clauses.push(`DROP FOREIGN KEY ${mysql.escapeId(now.name)}`, `ADD ${constraintClause(now, original.name, { schema: now.refSchema, table: now.refTable })}`);
    restored.push(original.name);
  }
  if (clauses.length > 0) await onOneConnection(pool, [`ALTER TABLE ${qualifiedName(schema, table)} ${clauses.join(', ')}`]);
  return restored;
}
