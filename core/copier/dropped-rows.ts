/**
 * Is a source row of a chunk missing from the shadow after the chunk's INSERT IGNORE? Used only
 * when SHOW WARNINGS could not list every duplicate-key warning (max_error_count): a row skipped
 * for a duplicate on the primary key is in the shadow, one skipped for another UNIQUE index is not.
 * Runs in the chunk's transaction (it sees the chunk's own inserts), as a locking read.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import type { ChunkInfo } from '../types.ts';
import { keyRange } from './key-range.ts';
import type { CopyStatementPlan } from './statement.ts';

/** The key of one source row of the chunk that the shadow lacks, as text; null when none is missing. */
export async function droppedRow(conn: Queryable, plan: CopyStatementPlan, chunk: Pick<ChunkInfo, 'lower' | 'upper'>): Promise<string | null> {
  const range = keyRange(plan.keyColumns, chunk.lower, chunk.upper);
  const keys = plan.keyColumns.map((c) => mysql.escapeId(c));
  const join = keys.map((k) => `d.${k} = s.${k}`).join(' AND ');
  const sql =
    `SELECT ${keys.map((k) => `s.${k}`).join(', ')} FROM ${plan.sourceTable} AS s FORCE INDEX (PRIMARY)` +
    ` WHERE ${range ? `${range.sql} AND ` : ''}NOT EXISTS (SELECT 1 FROM ${plan.shadowTable} AS d WHERE ${join}) LIMIT 1 LOCK IN SHARE MODE`;
  const [row] = await queryRows(conn, sql, range ? range.values : []);
  if (!row) return null;
  return `(${plan.keyColumns.map((c) => String(row[c])).join(', ')})`;
}
