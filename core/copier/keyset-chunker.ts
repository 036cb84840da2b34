/**
 * Keyset chunks for any other key (composite, strings in any collation, binary, temporal, DECIMAL,
 * ENUM/SET): the next upper bound is the key `size` rows further along the key's index:
 *   SELECT key… FROM t FORCE INDEX (idx) WHERE (key) > last ORDER BY idx… LIMIT 1 OFFSET size-1
 * ordered by the index's own columns (a unique prefix of the key, so the order is the key's and no
 * filesort is needed). The server does every comparison (in the column's collation and type:
 * core/table/key.ts); bounds are passed back exactly as they were read, an ENUM/SET member as its
 * index. When no such row exists, the last chunk is open-ended (upper = null).
 */
import { isDeepStrictEqual } from 'node:util';
import mysql from 'mysql2/promise';
import type { Queryable } from '../connection/connection.ts';
import type { ChunkInfo, KeyTuple } from '../types.ts';
import type { Chunker, TableRef } from './chunker.ts';
import { CopierSetupError } from './errors.ts';
import { columnList, keyRange, type KeyColumnRef, type SqlFragment } from './key-range.ts';
import { keyParts, tableKey } from '../table/key.ts';
import type { TableInfo } from '../table/types.ts';

/** How bounds are found: the key's parts, the index walked, and how many leading parts that index orders by. */
export interface KeyWalk {
  readonly parts: readonly KeyColumnRef[];
  readonly index: string;
  readonly orderBy: number;
}

/** The walk along a table's key (TableInfo.key, else its PRIMARY KEY). */
export function keyWalk(table: TableInfo): KeyWalk {
  const key = tableKey(table);
  const index = table.indexes.find((i) => i.name === key.index);
  return { parts: keyParts(table), index: key.index, orderBy: index ? index.columns.length : key.columns.length };
}

/** A bare column list walks PRIMARY in full key order. */
function walkOf(keyColumns: readonly KeyColumnRef[] | KeyWalk): KeyWalk {
  return Array.isArray(keyColumns) ? { parts: keyColumns, index: 'PRIMARY', orderBy: keyColumns.length } : (keyColumns as KeyWalk);
}

/**
 * The query that finds the upper bound of the chunk after `after` (null: from the start): the key
 * `rows` rows further along PRIMARY, looking no further than `upTo` (null: the end of the table).
 */
export function boundaryQuery(
  table: TableRef, keyColumns: readonly KeyColumnRef[] | KeyWalk, after: KeyTuple | null, rows: number, upTo: KeyTuple | null = null,
): SqlFragment {
  const walk = walkOf(keyColumns);
  const order = walk.parts.slice(0, walk.orderBy).map((p) => (typeof p === 'string' ? mysql.escapeId(p) : p.ref)).join(', ');
  const range = keyRange(walk.parts, after, upTo);
  const sql =
    `SELECT ${columnList(walk.parts)} FROM ${mysql.escapeId(table.schema)}.${mysql.escapeId(table.name)} FORCE INDEX (${mysql.escapeId(walk.index)})` +
    `${range ? ` WHERE ${range.sql}` : ''} ORDER BY ${order} LIMIT 1 OFFSET ?`;
  return { sql, values: [...(range ? range.values : []), Math.max(0, Math.floor(rows) - 1)] };
}

/** The key `rows` rows above `after` and at most `upTo`, or null when fewer rows remain. */
export async function keyAfterRows(
  db: Queryable, table: TableRef, keyColumns: readonly KeyColumnRef[] | KeyWalk, after: KeyTuple | null, rows: number, upTo: KeyTuple | null,
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
    private readonly keyColumns: readonly KeyColumnRef[] | KeyWalk,
    startAfter: KeyTuple | null,
  ) {
    if (startAfter !== null && startAfter.length !== walkOf(keyColumns).parts.length) {
      throw new CopierSetupError(`startAfter has ${startAfter.length} value(s) for a ${walkOf(keyColumns).parts.length}-column key; pass a full key tuple`);
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
      throw new CopierSetupError(`the key of ${this.table.name} does not read back exactly (bound repeated); its type cannot be chunked`);
    }
    this.#last = upper;
    return { index: this.#index++, lower, upper };
  }

  observe(): void {}
}
