/**
 * Foreign-key definitions, read from INFORMATION_SCHEMA (REFERENTIAL_CONSTRAINTS and
 * KEY_COLUMN_USAGE), and the SQL that re-creates one under another name or pointing at another
 * parent (core/shadow/foreign-keys.ts, core/cutover/foreign-keys.ts). TableInfo.foreignKeys lists
 * names and roles only; this is the full definition.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { qualifiedName } from '../format.ts';

export interface ForeignKeyDefinition {
  readonly name: string;
  /** The referencing (child) table. */
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
  /** The referenced (parent) table. */
  readonly refSchema: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
  /** RESTRICT, CASCADE, SET NULL, NO ACTION, SET DEFAULT. */
  readonly onDelete: string;
  readonly onUpdate: string;
}

type Row = Record<string, unknown>;
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
function upper(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k.toUpperCase()] = v;
  return out;
}

/**
 * The foreign keys `table` holds (`side: 'child'`) or that reference it (`side: 'parent'`), in
 * name order, columns in key order.
 */
export async function readForeignKeyDefinitions(db: Queryable, schema: string, table: string, side: 'child' | 'parent'): Promise<ForeignKeyDefinition[]> {
  // Two plain reads joined here: a JOIN of the two INFORMATION_SCHEMA views crashed MariaDB 10.11.19
  // (signal 11, seen in the preflight test), so the server never evaluates one.
  const where = side === 'child' ? 'CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?' : 'UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?';
  const constraints = (await queryRows(db,
    `SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, UPDATE_RULE, DELETE_RULE
       FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE ${where}`, [schema, table])).map(upper)
    // information_schema compares names case-insensitively on some servers: keep exact matches only.
    .filter((r) => (side === 'child'
      ? str(r.CONSTRAINT_SCHEMA) === schema && str(r.TABLE_NAME) === table
      : str(r.UNIQUE_CONSTRAINT_SCHEMA) === schema && str(r.REFERENCED_TABLE_NAME) === table));
  const out: ForeignKeyDefinition[] = [];
  for (const r of constraints) {
    const columns = (await queryRows(db,
      `SELECT COLUMN_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
        WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY ORDINAL_POSITION`,
      [str(r.CONSTRAINT_SCHEMA), str(r.TABLE_NAME), str(r.CONSTRAINT_NAME)])).map(upper);
    out.push({
      name: str(r.CONSTRAINT_NAME), schema: str(r.CONSTRAINT_SCHEMA), table: str(r.TABLE_NAME),
      columns: columns.map((c) => str(c.COLUMN_NAME)),
      refSchema: str(r.UNIQUE_CONSTRAINT_SCHEMA), refTable: str(r.REFERENCED_TABLE_NAME),
      refColumns: columns.map((c) => str(c.REFERENCED_COLUMN_NAME)),
      onDelete: str(r.DELETE_RULE).toUpperCase(), onUpdate: str(r.UPDATE_RULE).toUpperCase(),
    });
  }
  const order = (fk: ForeignKeyDefinition) => `${fk.schema}\u0000${fk.table}\u0000${fk.name}`;
  return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** A constraint whose action changes child rows when the parent row is deleted or its key updated. */
export function cascades(fk: ForeignKeyDefinition): boolean {
  const acting = (rule: string) => rule === 'CASCADE' || rule === 'SET NULL' || rule === 'SET DEFAULT';
  return acting(fk.onDelete) || acting(fk.onUpdate);
}

/** A constraint of a table on itself. */
export function selfReferencing(fk: ForeignKeyDefinition): boolean {
  return fk.schema === fk.refSchema && fk.table === fk.refTable;
}

/**
 * `CONSTRAINT name FOREIGN KEY (…) REFERENCES parent (…) ON DELETE … ON UPDATE …`, for ALTER TABLE
 * … ADD. `refSchema` is omitted when it is the child's own schema (so a RENAME keeps it relative).
 */
export function constraintClause(fk: ForeignKeyDefinition, name: string, parent: { schema: string; table: string } = { schema: fk.refSchema, table: fk.refTable }): string {
  const ids = (cols: readonly string[]) => cols.map((c) => mysql.escapeId(c)).join(', ');
  const ref = parent.schema === fk.schema ? mysql.escapeId(parent.table) : qualifiedName(parent.schema, parent.table);
  // RESTRICT is what the server reports for a constraint written without the clause: leave it out, so
  // SHOW CREATE TABLE reads as the original's.
  const rule = (what: string, value: string) => (value === 'RESTRICT' ? '' : ` ON ${what} ${value}`);
  return `CONSTRAINT ${mysql.escapeId(name)} FOREIGN KEY (${ids(fk.columns)}) REFERENCES ${ref} (${ids(fk.refColumns)})`
    + rule('DELETE', fk.onDelete) + rule('UPDATE', fk.onUpdate);
}
