/**
 * The benchmark table. `bench.t_seed` is generated once per size (MariaDB's SEQUENCE engine, no
 * binlog); before every run `bench.t` is recreated from it, so every tool starts from the same
 * data and the same fresh page layout. A digest over the columns both shapes share checks results.
 */
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';

export const SCHEMA = 'bench';
export const TABLE = 't';
export const SEED = 't_seed';
const META = 'seed_meta';
/** Bump when the shape or the generator below changes: seeds are then regenerated. */
const SEED_VERSION = 1;
const BATCH = 100_000;

const q = (name: string) => mysql.escapeId(name);
export const qualified = (table: string) => `${q(SCHEMA)}.${q(table)}`;

export const CREATE_TABLE = `CREATE TABLE ${qualified(SEED)} (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_id INT UNSIGNED NOT NULL,
  quantity INT NOT NULL,
  price DECIMAL(12,2) NOT NULL,
  sku VARCHAR(32) NOT NULL,
  note VARCHAR(255) NULL,
  attrs JSON NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_account_created (account_id, created_at),
  KEY idx_sku (sku)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/** One batch of generated rows, ids from..to (deterministic: every run of the bench has the same data). */
function seedBatch(from: number, to: number): string {
  return mysql.format(`INSERT INTO ${qualified(SEED)}
      (id, account_id, quantity, price, sku, note, attrs, created_at, updated_at)
    SELECT seq, 1 + (seq * 7919) % 50000, seq % 100, ((seq * 37) % 100000) / 100,
      CONCAT('SKU-', LPAD((seq * 13) % 100003, 6, '0')),
      IF(seq % 5 = 0, NULL, CONCAT('order ', seq, ' ', REPEAT('x', seq % 40))),
      JSON_OBJECT('color', ELT(1 + seq % 5, 'red', 'green', 'blue', 'black', 'white'), 'size', seq % 12, 'gift', seq % 7 = 0),
      TIMESTAMP('2025-01-01') + INTERVAL seq SECOND + INTERVAL ((seq * 7) % 1000000) MICROSECOND,
      TIMESTAMP('2025-01-01') + INTERVAL seq SECOND + INTERVAL (seq % 86400) SECOND
    FROM ${qualified(`seq_${from}_to_${to}`)}`, []);
}

async function noBinlog<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.query('SET SESSION sql_log_bin = 0');
    return await fn(conn);
  } finally {
    await conn.query('SET SESSION sql_log_bin = 1').catch(() => {});
    conn.release();
  }
}

/** Makes sure `bench.t_seed` holds exactly `rows` generated rows; returns true when it (re)generated them. */
export async function ensureSeed(pool: Pool, rows: number, log: (s: string) => void): Promise<boolean> {
  await pool.query(`CREATE DATABASE IF NOT EXISTS ${q(SCHEMA)}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${qualified(META)} (id INT PRIMARY KEY, seed_rows BIGINT NOT NULL, version INT NOT NULL)`);
  const [meta] = await pool.query(`SELECT seed_rows, version FROM ${qualified(META)} WHERE id = 1`) as unknown as [Array<{ seed_rows: string; version: number }>];
  const [exists] = await pool.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [SCHEMA, SEED]) as unknown as [unknown[]];
  if (exists.length > 0 && meta[0] && Number(meta[0].seed_rows) === rows && meta[0].version === SEED_VERSION) return false;
  log(`generating ${rows.toLocaleString('en-US')} rows in ${SCHEMA}.${SEED}…`);
  await noBinlog(pool, async (conn) => {
    await conn.query(`DROP TABLE IF EXISTS ${qualified(SEED)}`);
    await conn.query(CREATE_TABLE);
    for (let from = 1; from <= rows; from += BATCH) await conn.query(seedBatch(from, Math.min(rows, from + BATCH - 1)));
    await conn.query(`REPLACE INTO ${qualified(META)} (id, seed_rows, version) VALUES (1, ?, ?)`, [rows, SEED_VERSION]);
    await conn.query(`ANALYZE TABLE ${qualified(SEED)}`);
  });
  return true;
}

/** Drops every table of the schema except the seed (tools' leftovers, copies, sentinels, triggers with them). */
export async function dropWorkTables(pool: Pool): Promise<void> {
  const [rows] = await pool.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [SCHEMA]) as unknown as [Array<{ name: string }>];
  for (const { name } of rows) {
    if (name !== SEED && name !== META) await pool.query(`DROP TABLE IF EXISTS ${qualified(name)}`);
  }
}

/** Recreates `bench.t` from the seed (not binlogged: no migrator is running). */
export async function resetTable(pool: Pool): Promise<void> {
  await dropWorkTables(pool);
  await noBinlog(pool, async (conn) => {
    await conn.query(`CREATE TABLE ${qualified(TABLE)} LIKE ${qualified(SEED)}`);
    await conn.query(`INSERT INTO ${qualified(TABLE)} SELECT * FROM ${qualified(SEED)}`);
    await conn.query(`ANALYZE TABLE ${qualified(TABLE)}`);
  });
}

export async function columnsOf(pool: Pool, table: string): Promise<string[]> {
  const [rows] = await pool.query(
    'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [SCHEMA, table]) as unknown as [Array<{ name: string }>];
  return rows.map((r) => r.name);
}

/** Columns of `a` that `b` also has, in `a`'s order. */
export async function commonColumns(pool: Pool, a: string, b: string): Promise<string[]> {
  const other = new Set(await columnsOf(pool, b));
  return (await columnsOf(pool, a)).filter((c) => other.has(c));
}

export interface Digest {
  rows: number;
  xor: string;
  sum: string;
}

/** Row count and order-independent CRC32 aggregates over `cols` (NULL marked apart from ''). */
export async function digest(pool: Pool, table: string, cols: readonly string[]): Promise<Digest> {
  const parts = cols.map((c) => `IFNULL(CAST(${q(c)} AS CHAR), '\\\\N')`).join(", '|', ");
  const [[row]] = await pool.query(
    `SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT(${parts}))) AS x, SUM(CRC32(CONCAT(${parts}))) AS s FROM ${qualified(table)}`,
  ) as unknown as [[{ n: string; x: string; s: string }]];
  return { rows: Number(row!.n), xor: String(row!.x), sum: String(row!.s ?? '0') };
}

export function sameDigest(a: Digest, b: Digest): boolean {
  return a.rows === b.rows && a.xor === b.xor && a.sum === b.sum;
}

export interface TableSize {
  dataMiB: number;
  indexMiB: number;
}

export async function tableSize(pool: Pool, table: string): Promise<TableSize> {
  const [[row]] = await pool.query(
    'SELECT DATA_LENGTH AS d, INDEX_LENGTH AS i FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [SCHEMA, table]) as unknown as [[{ d: string; i: string }]];
  return { dataMiB: Math.round(Number(row?.d ?? 0) / 1048576), indexMiB: Math.round(Number(row?.i ?? 0) / 1048576) };
}
