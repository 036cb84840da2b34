/**
 * Exact table comparison for the fidelity tests: same definition (columns, types, charsets,
 * indexes), same rows, every column, byte for byte.
 *
 * Every column is read through a canonical, exact SQL expression that yields text:
 *  - strings, ENUM/SET, JSON: HEX(c) (the stored bytes in the column's charset; case and trailing
 *    bytes count even under a case-insensitive or PAD SPACE collation), ENUM/SET also their ordinal;
 *  - binary, BLOB, BIT, GEOMETRY: HEX(c);
 *  - FLOAT: CAST(c AS DOUBLE) (the float's exact value), DOUBLE: its shortest round-trip text, both
 *    with the sign of zero (ATAN2(-0, -1) is -pi);
 *  - integers, DECIMAL, YEAR, temporal types: CAST(c AS CHAR) in a '+00:00' session, TIMESTAMP also
 *    UNIX_TIMESTAMP(c) (time-zone independent, with its fraction);
 * NULL stays NULL (distinct from '' and from 0). Rows are matched by their canonical PK.
 * A second, server-side check counts the rows of each table that have no identical row (every
 * canonical column compared with <=>) in the other.
 */
import mysql, { type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';

interface ColumnRow {
  name: string;
  dataType: string;
  columnType: string;
}

const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'json']);
const BYTE_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit']);
const GEOMETRY_TYPES = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);
const AS_CHAR_TYPES = new Set([
  'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'year',
  'date', 'time', 'datetime', 'timestamp',
]);

/** The canonical text expression(s) of one column, over the given table alias. */
export function canonicalExpressions(column: ColumnRow, alias: string): string[] {
  const c = `${alias}.${mysql.escapeId(column.name)}`;
  const type = column.dataType.toLowerCase();
  const negZero = `IF(${c} = 0 AND ATAN2(${c}, -1) < 0, ' (-0)', '')`;
  if (type === 'float') return [`CONCAT(CAST(CAST(${c} AS DOUBLE) AS CHAR), ${negZero})`];
  if (type === 'double' || type === 'real') return [`CONCAT(CAST(${c} AS CHAR), ${negZero})`];
  if (type === 'enum' || type === 'set') return [`HEX(${c})`, `CAST(${c} + 0 AS CHAR)`];
  if (TEXT_TYPES.has(type) || BYTE_TYPES.has(type) || GEOMETRY_TYPES.has(type)) return [`HEX(${c})`];
  if (type === 'timestamp') return [`CAST(${c} AS CHAR)`, `CAST(UNIX_TIMESTAMP(${c}) AS CHAR)`];
  if (AS_CHAR_TYPES.has(type)) return [`CAST(${c} AS CHAR)`];
  return [`HEX(${c})`];
}

export interface RowDifference {
  /** The canonical PK, for the message. */
  key: string;
  column: string;
  expected: string | null;
  actual: string | null;
}

export interface TableComparison {
  expectedRows: number;
  actualRows: number;
  /** Definition differences (columns, indexes, table options), one line each. */
  definition: string[];
  /** PKs (canonical) only in the expected table. */
  missing: string[];
  /** PKs (canonical) only in the actual table. */
  extra: string[];
  changed: RowDifference[];
  /** Server-side: rows of `actual` without an identical row in `expected`, and the reverse. */
  serverSide: { actualOnly: number; expectedOnly: number };
}

export function isIdentical(c: TableComparison): boolean {
  return c.definition.length === 0 && c.missing.length === 0 && c.extra.length === 0 && c.changed.length === 0 &&
    c.serverSide.actualOnly === 0 && c.serverSide.expectedOnly === 0 && c.expectedRows === c.actualRows;
}

/** A short human-readable account of the differences (first few of each kind). */
export function describeComparison(c: TableComparison, limit = 8): string {
  const lines = [`rows: expected ${c.expectedRows}, actual ${c.actualRows}`];
  for (const d of c.definition.slice(0, limit)) lines.push(`definition: ${d}`);
  if (c.missing.length) lines.push(`missing ${c.missing.length} row(s), e.g. ${c.missing.slice(0, limit).join(' | ')}`);
  if (c.extra.length) lines.push(`extra ${c.extra.length} row(s), e.g. ${c.extra.slice(0, limit).join(' | ')}`);
  if (c.changed.length) {
    lines.push(`changed ${c.changed.length} value(s):`);
    for (const d of c.changed.slice(0, limit)) lines.push(`  key ${d.key} column ${d.column}: expected ${d.expected} actual ${d.actual}`);
  }
  lines.push(`server-side: actual-only ${c.serverSide.actualOnly}, expected-only ${c.serverSide.expectedOnly}`);
  return lines.join('\n');
}

async function columnsOf(db: PoolConnection, schema: string, table: string): Promise<ColumnRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [schema, table],
  );
  return rows.map((r) => ({ name: String(r.name), dataType: String(r.dataType), columnType: String(r.columnType) }));
}

/** The columns rows are matched by: the PRIMARY KEY, else the first (by name) UNIQUE key whose columns are all NOT NULL. */
async function primaryKeyOf(db: PoolConnection, schema: string, table: string): Promise<string[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT s.INDEX_NAME AS idx, s.COLUMN_NAME AS name, c.IS_NULLABLE AS nullable FROM information_schema.STATISTICS s
       JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = ? AND s.TABLE_NAME = ? AND s.NON_UNIQUE = 0
      ORDER BY s.INDEX_NAME <> 'PRIMARY', s.INDEX_NAME, s.SEQ_IN_INDEX`,
    [schema, table],
  );
  const byIndex = new Map<string, RowDataPacket[]>();
  for (const r of rows) byIndex.set(String(r.idx), [...(byIndex.get(String(r.idx)) ?? []), r]);
  const usable = [...byIndex.values()].find((cols) => cols.every((c) => c.nullable === 'NO'));
  return (usable ?? []).map((r) => String(r.name));
}

/** SHOW CREATE TABLE with the table's name and the AUTO_INCREMENT counter taken out. */
async function definitionOf(db: PoolConnection, schema: string, table: string): Promise<string[]> {
  const [rows] = await db.query<RowDataPacket[]>(`SHOW CREATE TABLE ${mysql.escapeId(schema)}.${mysql.escapeId(table)}`);
  const ddl = String(rows[0]!['Create Table']);
  return ddl
    .replace(/^CREATE TABLE `(?:[^`]|``)*`/, 'CREATE TABLE <t>')
    .replace(/ AUTO_INCREMENT=\d+/, '')
    .split('\n');
}

function diffLines(expected: string[], actual: string[]): string[] {
  const out: string[] = [];
  const max = Math.max(expected.length, actual.length);
  for (let i = 0; i < max; i++) {
    if (expected[i] !== actual[i]) out.push(`line ${i + 1}: expected ${JSON.stringify(expected[i] ?? null)} actual ${JSON.stringify(actual[i] ?? null)}`);
  }
  return out;
}

interface Canonical {
  labels: string[];
  keyWidth: number;
  rows: Map<string, Array<string | null>>;
}

async function readCanonical(db: PoolConnection, schema: string, table: string, columns: ColumnRow[], pk: string[]): Promise<Canonical> {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const keyExprs = pk.flatMap((k) => canonicalExpressions(byName.get(k)!, 't'));
  const labels: string[] = [];
  const exprs: string[] = [];
  for (const c of columns) {
    const e = canonicalExpressions(c, 't');
    e.forEach((x, i) => {
      labels.push(i === 0 ? c.name : `${c.name} (${i === 1 && c.dataType === 'timestamp' ? 'unix time' : 'ordinal'})`);
      exprs.push(x);
    });
  }
  const order = pk.map((k) => `t.${mysql.escapeId(k)}`).join(', ');
  const [rows] = await db.query<RowDataPacket[]>({
    sql: `SELECT ${[...keyExprs, ...exprs].join(', ')} FROM ${mysql.escapeId(schema)}.${mysql.escapeId(table)} AS t ORDER BY ${order}`,
    rowsAsArray: true,
  });
  const map = new Map<string, Array<string | null>>();
  for (const raw of rows as unknown as unknown[][]) {
    const values = raw.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v.toString('latin1') : String(v)));
    const key = JSON.stringify(values.slice(0, keyExprs.length));
    if (map.has(key)) throw new Error(`compare: ${table} has two rows with the canonical key ${key}`);
    map.set(key, values.slice(keyExprs.length));
  }
  return { labels, keyWidth: keyExprs.length, rows: map };
}

/** Rows of `a` that have no row in `b` equal on every canonical expression. */
async function unmatched(db: PoolConnection, schema: string, a: string, b: string, columns: ColumnRow[], pk: string[]): Promise<number> {
  const on = columns.flatMap((c) => {
    const left = canonicalExpressions(c, 'a');
    const right = canonicalExpressions(c, 'b');
    return left.map((l, i) => `${l} <=> ${right[i]}`);
  });
  const keyJoin = pk.map((k) => `a.${mysql.escapeId(k)} = b.${mysql.escapeId(k)}`);
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM ${mysql.escapeId(schema)}.${mysql.escapeId(a)} AS a
       LEFT JOIN ${mysql.escapeId(schema)}.${mysql.escapeId(b)} AS b ON ${[...keyJoin, ...on].join(' AND ')}
      WHERE b.${mysql.escapeId(pk[0]!)} IS NULL`,
  );
  return Number(rows[0]!.n);
}

/**
 * Compares `actual` with `expected` (same schema). Runs on one pool connection whose session
 * time zone is set to '+00:00' for the duration (and restored).
 */
export async function compareTables(pool: Pool, schema: string, actual: string, expected: string): Promise<TableComparison> {
  const db = await pool.getConnection();
  try {
    const [[tz]] = await db.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz');
    await db.query(`SET SESSION time_zone = '+00:00'`);
    try {
      return await compareOn(db, schema, actual, expected);
    } finally {
      await db.query('SET SESSION time_zone = ?', [String(tz!.tz)]);
    }
  } finally {
    db.release();
  }
}

async function compareOn(db: PoolConnection, schema: string, actual: string, expected: string): Promise<TableComparison> {
  const definition = diffLines(await definitionOf(db, schema, expected), await definitionOf(db, schema, actual));
  const columns = await columnsOf(db, schema, expected);
  const pk = await primaryKeyOf(db, schema, expected);
  if (pk.length === 0) throw new Error(`compare: ${schema}.${expected} has no primary key and no NOT NULL unique key`);
  const actualColumns = await columnsOf(db, schema, actual);
  const sameShape = JSON.stringify(actualColumns) === JSON.stringify(columns);
  if (!sameShape) {
    definition.push(`columns differ: expected ${columns.map((c) => `${c.name} ${c.columnType}`).join(', ')}; actual ${actualColumns.map((c) => `${c.name} ${c.columnType}`).join(', ')}`);
  }
  const exp = await readCanonical(db, schema, expected, columns, pk);
  const act = await readCanonical(db, schema, actual, sameShape ? columns : actualColumns, pk);
  const missing: string[] = [];
  const extra: string[] = [];
  const changed: RowDifference[] = [];
  for (const [key, values] of exp.rows) {
    const other = act.rows.get(key);
    if (!other) {
      missing.push(key);
      continue;
    }
    if (!sameShape) continue;
    values.forEach((v, i) => {
      if (v !== other[i]) changed.push({ key, column: exp.labels[i]!, expected: v, actual: other[i] ?? null });
    });
  }
  for (const key of act.rows.keys()) if (!exp.rows.has(key)) extra.push(key);
  const serverSide = sameShape
    ? { actualOnly: await unmatched(db, schema, actual, expected, columns, pk), expectedOnly: await unmatched(db, schema, expected, actual, columns, pk) }
    : { actualOnly: act.rows.size, expectedOnly: exp.rows.size };
  return { expectedRows: exp.rows.size, actualRows: act.rows.size, definition, missing, extra, changed, serverSide };
}
