/**
 * Keyset chunks for any other PK (composite, strings in any collation, binary, temporal): the
 * next upper bound is the key `size` rows further along the PRIMARY index:
 *   SELECT pk… FROM t FORCE INDEX (PRIMARY) WHERE (pk) > last ORDER BY pk LIMIT 1 OFFSET size-1
 * The server does every comparison (in the column's collation); bounds are passed back exactly
 * as they were read. When no such row exists, the last chunk is open-ended (upper = null).
 */
import { isDeepStrictEqual } from 'node:util';
import mysql from 'mysql2/promise';
import type { Queryable } from '../connection/connection.ts';
import type { ChunkInfo, KeyTuple } from '../types.ts';
import type { Chunker, TableRef } from './chunker.ts';
import { CopierSetupError } from './errors.ts';
import { columnList, keyRange, type SqlFragment } from './key-range.ts';

/**
 * The query that finds the upper bound of the chunk after `after` (null: from the start): the key
 * `rows` rows further along PRIMARY, looking no further than `upTo` (null: the end of the table).
 */
export function boundaryQuery(
  table: TableRef, keyColumns: readonly string[], after: KeyTuple | null, rows: number, upTo: KeyTuple | null = null,
): SqlFragment {
  const cols = columnList(keyColumns);
  const range = keyRange(keyColumns, after, upTo);
  const sql =
    `SELECT ${cols} FROM ${mysql.escapeId(table.schema)}.${mysql.escapeId(table.name)} FORCE INDEX (PRIMARY)` +
    `${range ? ` WHERE ${range.sql}` : ''} ORDER BY ${cols} LIMIT 1 OFFSET ?`;
  return { sql, values: [...(range ? range.values : []), Math.max(0, Math.floor(rows) - 1)] };
}

/** The key `rows` rows above `after` and at most `upTo`, or null when fewer rows remain. */
export async function keyAfterRows(
  db: Queryable, table: TableRef, keyColumns: readonly string[], after: KeyTuple | null, rows: number, upTo: KeyTuple | null,
): Promise<KeyTuple | null> {
  const { sql, values } = boundaryQuery(table, keyColumns, after, rows, upTo);
  const [result] = await db.query({ sql, values, rowsAsArray: true });
  const row = (result as unknown[][])[0];
  return row ? [...row] : null;
}

export class KeysetChunker implements Chunker {
  #last: KeyTuple | null;
  #done = false;
  #index = 0;

  constructor(
    private readonly table: TableRef,
    private readonly keyColumns: readonly string[],
    startAfter: KeyTuple | null,
  ) {
    if (startAfter !== null && startAfter.length !== keyColumns.length) {
      throw new CopierSetupError(`startAfter has ${startAfter.length} value(s) for a ${keyColumns.length}-column primary key; pass a full key tuple`);
    }
    this.#last = startAfter;
  }

  async next(db: Queryable, rows: number): Promise<ChunkInfo | null> {
    if (this.#done) return null;
    const upper = await keyAfterRows(db, this.table, this.keyColumns, this.#last, rows, null);
    const lower = this.#last;
    if (!upper) {
      this.#done = true;
      return { index: this.#index++, lower, upper: null };
    }
    if (lower !== null && isDeepStrictEqual(lower, upper)) {
      throw new CopierSetupError(`the primary key of ${this.table.name} does not read back exactly (bound repeated); its type cannot be chunked`);
    }
    this.#last = upper;
    return { index: this.#index++, lower, upper };
  }

  observe(): void {}
}
