/**
 * Reads a table's definition from INFORMATION_SCHEMA (TABLES, COLUMNS, STATISTICS,
 * REFERENTIAL_CONSTRAINTS, TRIGGERS) and its live AUTO_INCREMENT counter from SHOW CREATE TABLE.
 * Works on MariaDB 10.x and MySQL 8 (see README.md for the differences it absorbs).
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { NotABaseTableError, TableNotFoundError } from './errors.ts';
import type { ColumnInfo, ForeignKeyInfo, IndexInfo, TableInfo } from './types.ts';

type Row = Record<string, unknown>;

/** INFORMATION_SCHEMA column names are upper case on both servers; `SELECT *` keeps that, but be sure. */
function upper(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k.toUpperCase()] = v;
  return out;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Generated columns: MariaDB IS_GENERATED='ALWAYS'; EXTRA 'VIRTUAL|STORED|PERSISTENT GENERATED' on both
 *  servers. MySQL 8's 'DEFAULT_GENERATED' (an expression default) is NOT a generated column. */
const GENERATED_EXTRA = /\b(VIRTUAL|STORED|PERSISTENT)\s+GENERATED\b/i;

export async function inspectTable(db: Queryable, schema: string, table: string): Promise<TableInfo> {
  const lowerCaseTableNames = await readLowerCaseTableNames(db);
  const found = await findTable(db, schema, table, lowerCaseTableNames);
  if (!found) throw new TableNotFoundError(schema, table);
  const type = str(found.TABLE_TYPE);
  if (type !== 'BASE TABLE') throw new NotABaseTableError(schema, table, type);
  // Use the names as stored (they differ in case from the request only with lower_case_table_names).
  const s = str(found.TABLE_SCHEMA);
  const t = str(found.TABLE_NAME);

  const columnRows = (await queryRows(
    db,
    'SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [s, t],
  )).map(upper).filter((r) => r.TABLE_SCHEMA === s && r.TABLE_NAME === t);
  columnRows.sort((a, b) => Number(a.ORDINAL_POSITION) - Number(b.ORDINAL_POSITION));
  const columns = columnRows.map(toColumn);

  const { primaryKey, indexes } = await readIndexes(db, s, t);
  const foreignKeys = await readForeignKeys(db, s, t);
  const triggers = await readTriggers(db, s, t);

  const hasAutoIncrement = columnRows.some((r) => /\bauto_increment\b/i.test(str(r.EXTRA)));
  let autoIncrement: number | null = null;
  if (hasAutoIncrement) {
    const live = await readAutoIncrement(db, s, t);
    autoIncrement = live !== null ? Number(live) : found.AUTO_INCREMENT == null ? 1 : Number(found.AUTO_INCREMENT);
  }

  return {
    schema: s,
    name: t,
    columns,
    primaryKey,
    indexes,
    foreignKeys,
    triggers,
    engine: str(found.ENGINE),
    autoIncrement,
    rowsEstimate: Number(found.TABLE_ROWS ?? 0),
    lowerCaseTableNames,
  };
}

async function readLowerCaseTableNames(db: Queryable): Promise<number> {
  const [lc] = await queryRows<{ lc: unknown }>(db, 'SELECT @@lower_case_table_names AS lc');
  return Number(lc?.lc ?? 0);
}

/** The TABLES row for schema.table: exact name first; a case-insensitive match only when the server folds names. */
async function findTable(db: Queryable, schema: string, table: string, lowerCaseTableNames: number): Promise<Row | undefined> {
  const rows = (await queryRows(
    db,
    'SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  )).map(upper);
  const exact = rows.find((r) => r.TABLE_SCHEMA === schema && r.TABLE_NAME === table);
  if (exact || rows.length === 0) return exact;
  return lowerCaseTableNames === 0 ? undefined : rows[0];
}

function toColumn(r: Row): ColumnInfo {
  const columnType = str(r.COLUMN_TYPE);
  return {
    name: str(r.COLUMN_NAME),
    columnType,
    dataType: str(r.DATA_TYPE).toLowerCase(),
    nullable: str(r.IS_NULLABLE).toUpperCase() === 'YES',
    generated: str(r.IS_GENERATED).toUpperCase() === 'ALWAYS' || GENERATED_EXTRA.test(str(r.EXTRA)),
    charset: strOrNull(r.CHARACTER_SET_NAME),
    collation: strOrNull(r.COLLATION_NAME),
    unsigned: /\bunsigned\b/i.test(columnType),
  };
}

async function readIndexes(db: Queryable, schema: string, table: string) {
  const rows = (await queryRows(
    db,
    'SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  )).map(upper).filter((r) => r.TABLE_SCHEMA === schema && r.TABLE_NAME === table);
  rows.sort((a, b) => Number(a.SEQ_IN_INDEX) - Number(b.SEQ_IN_INDEX));
  const byName = new Map<string, { unique: boolean; columns: string[] }>();
  for (const r of rows) {
    const name = str(r.INDEX_NAME);
    let index = byName.get(name);
    if (!index) byName.set(name, (index = { unique: Number(r.NON_UNIQUE) === 0, columns: [] }));
    // MySQL 8 functional key parts have no COLUMN_NAME, only an EXPRESSION.
    index.columns.push(r.COLUMN_NAME == null ? `(${str(r.EXPRESSION)})` : str(r.COLUMN_NAME));
  }
  const indexes: IndexInfo[] = [...byName.entries()]
    .map(([name, i]) => ({ name, unique: i.unique, columns: i.columns }))
    .sort((a, b) => (a.name === 'PRIMARY' ? -1 : b.name === 'PRIMARY' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const primaryKey = byName.get('PRIMARY')?.columns ?? [];
  return { primaryKey, indexes };
}

/** Both roles: this table references another (child), another references this one (parent). */
async function readForeignKeys(db: Queryable, schema: string, table: string): Promise<ForeignKeyInfo[]> {
  const other = (otherSchema: string, otherTable: string) => (otherSchema === schema ? otherTable : `${otherSchema}.${otherTable}`);
  const children = (await queryRows(
    db,
    'SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
    [schema, table],
  )).map(upper).filter((r) => r.CONSTRAINT_SCHEMA === schema && r.TABLE_NAME === table);
  const parents = (await queryRows(
    db,
    'SELECT CONSTRAINT_SCHEMA, CONSTRAINT_NAME, TABLE_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?',
    [schema, table],
  )).map(upper).filter((r) => r.UNIQUE_CONSTRAINT_SCHEMA === schema && r.REFERENCED_TABLE_NAME === table);
  const fks: ForeignKeyInfo[] = [
    ...children.map((r) => ({
      name: str(r.CONSTRAINT_NAME), role: 'child' as const,
      otherTable: other(str(r.UNIQUE_CONSTRAINT_SCHEMA), str(r.REFERENCED_TABLE_NAME)),
    })),
    ...parents.map((r) => ({
      name: str(r.CONSTRAINT_NAME), role: 'parent' as const,
      otherTable: other(str(r.CONSTRAINT_SCHEMA), str(r.TABLE_NAME)),
    })),
  ];
  return fks.sort((a, b) => (a.role + a.name < b.role + b.name ? -1 : a.role + a.name > b.role + b.name ? 1 : 0));
}

async function readTriggers(db: Queryable, schema: string, table: string): Promise<string[]> {
  const rows = (await queryRows(
    db,
    'SELECT TRIGGER_NAME, EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER',
    [schema, table],
  )).map(upper).filter((r) => r.EVENT_OBJECT_SCHEMA === schema && r.EVENT_OBJECT_TABLE === table);
  return rows.map((r) => str(r.TRIGGER_NAME));
}

/**
 * The table's live AUTO_INCREMENT counter, from SHOW CREATE TABLE (MySQL 8 caches
 * INFORMATION_SCHEMA.TABLES.AUTO_INCREMENT for information_schema_stats_expiry seconds).
 * Exact (a bigint: BIGINT UNSIGNED counters pass 2^53). Null when the statement shows none (no
 * AUTO_INCREMENT column, or the counter is still 1).
 */
export async function readAutoIncrement(db: Queryable, schema: string, table: string): Promise<bigint | null> {
  const qualified = `${mysql.escapeId(schema, true)}.${mysql.escapeId(table, true)}`;
  const [row] = await queryRows(db, `SHOW CREATE TABLE ${qualified}`);
  const ddl = str(row?.['Create Table']);
  // Table options follow the line that closes the column list; comments in it are escaped (no raw newline).
  const match = /\n\)[^\n]*?\bAUTO_INCREMENT=(\d+)/.exec(ddl);
  return match ? BigInt(match[1]!) : null;
}
