/**
 * Arithmetic chunks for a single integer PK (signed or unsigned, up to BIGINT UNSIGNED; BigInt
 * throughout). MIN/MAX are read at start; each chunk spans a number of key values derived from
 * the target row count and the key density seen so far; an index probe for the next existing
 * key skips empty ranges, so gaps never make the copy crawl. When a chunk would reach the known
 * MAX, MAX is read again: while rows keep arriving above it, chunks stay bounded (near the target
 * size). Only when the chunk reaches the current MAX is it open-ended (upper = null), so the rows
 * it copies beyond that MAX are those inserted in the few milliseconds since it was read.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import type { ChunkInfo, KeyTuple } from '../types.ts';
import type { Chunker, TableRef } from './chunker.ts';
import { CopierSetupError } from './errors.ts';
import { intKeyValue, parseIntKey } from './keys.ts';

/** Lowest key density assumed: a chunk spans at most 100x as many key values as target rows. */
export const MIN_DENSITY = 0.01;

/** Key values a chunk should span to hold about `rows` rows at `density` rows per key value. */
export function keySpan(rows: number, density: number): bigint {
  const d = Math.min(1, Math.max(MIN_DENSITY, Number.isFinite(density) ? density : 1));
  return BigInt(Math.max(1, Math.ceil(Math.max(1, rows) / d)));
}

interface DensitySample {
  rows: number;
  span: bigint;
}

export class IntRangeChunker implements Chunker {
  readonly #table: string;
  readonly #column: string;
  readonly #keyIndex: string;
  readonly #startAfter: KeyTuple | null;
  readonly #after: bigint | null;
  #initialized = false;
  #min: bigint | null = null;
  #max: bigint | null = null;
  /** Upper bound of the last chunk; undefined before the first. */
  #cursor: bigint | undefined;
  #done = false;
  #index = 0;
  /** Key distance from the cursor to MAX at the last re-read (null before the first). */
  #chaseRemaining: bigint | null = null;
  readonly #spans = new Map<number, bigint>();
  readonly #samples: DensitySample[] = [];

  constructor(table: TableRef, column: string, startAfter: KeyTuple | null, index = 'PRIMARY') {
    this.#table = `${mysql.escapeId(table.schema)}.${mysql.escapeId(table.name)}`;
    this.#column = mysql.escapeId(column);
    this.#keyIndex = mysql.escapeId(index);
    this.#startAfter = startAfter;
    this.#after = startAfter === null ? null : startAfter.length === 1 ? parseIntKey(startAfter[0]) : null;
    if (startAfter !== null && this.#after === null) {
      throw new CopierSetupError('startAfter must be a one-value tuple holding an integer for an integer primary key');
    }
  }

  /** Rows per key value over the recent finished chunks (1 before any). */
  get density(): number {
    let rows = 0;
    let span = 0n;
    for (const s of this.#samples) {
      rows += s.rows;
      span += s.span;
    }
    return span > 0n ? rows / Number(span) : 1;
  }

  async next(db: Queryable, rows: number): Promise<ChunkInfo | null> {
    if (this.#done) return null;
    if (!this.#initialized) await this.#init(db);
    if (this.#min === null || this.#max === null) return this.#final(this.#startAfter);

    let lower: KeyTuple | null;
    let base: bigint;
    if (this.#cursor === undefined) {
      lower = this.#startAfter;
      base = this.#min - 1n;
    } else {
      lower = [intKeyValue(this.#cursor)];
      const nextKey = await this.#firstKeyAbove(db, this.#cursor);
      if (nextKey === null) return this.#final(lower);
      base = nextKey - 1n > this.#cursor ? nextKey - 1n : this.#cursor;
    }
    const upper = base + keySpan(rows, this.density);
    if (upper >= this.#max && !(await this.#chaseOn(db, base, upper))) return this.#final(lower);
    const chunk: ChunkInfo = { index: this.#index++, lower, upper: [intKeyValue(upper)] };
    this.#spans.set(chunk.index, upper - base);
    this.#cursor = upper;
    return chunk;
  }

  observe(chunk: ChunkInfo, rows: number): void {
    const span = this.#spans.get(chunk.index);
    if (span === undefined) return;
    this.#spans.delete(chunk.index);
    this.#samples.push({ rows, span });
    if (this.#samples.length > 10) this.#samples.shift();
  }

  #final(lower: KeyTuple | null): ChunkInfo {
    this.#done = true;
    return { index: this.#index++, lower, upper: null };
  }

  async #init(db: Queryable): Promise<void> {
    const where = this.#after === null ? '' : ` WHERE ${this.#column} > ?`;
    const [row] = await queryRows<{ lo: unknown; hi: unknown }>(
      db,
      `SELECT MIN(${this.#column}) AS lo, MAX(${this.#column}) AS hi FROM ${this.#table}${where}`,
      this.#after === null ? [] : [this.#after],
    );
    this.#initialized = true;
    if (row?.lo === null || row?.lo === undefined) return;
    this.#min = parseIntKey(row.lo);
    this.#max = parseIntKey(row.hi);
    if (this.#min === null || this.#max === null) {
      throw new CopierSetupError(`the primary key of ${this.#table} did not read back as an integer; report this as a bug`);
    }
  }

  /**
   * A chunk (base, upper] reaches the known MAX: read MAX again. Go on with bounded chunks while
   * rows arrived beyond `upper` and the distance to the end keeps shrinking (by a tenth at least
   * per round, so the chase ends even when inserts outpace the copy); else the chunk is the last.
   */
  async #chaseOn(db: Queryable, base: bigint, upper: bigint): Promise<boolean> {
    const [row] = await queryRows<{ hi: unknown }>(db, `SELECT MAX(${this.#column}) AS hi FROM ${this.#table}`);
    const hi = row?.hi === null || row?.hi === undefined ? null : parseIntKey(row.hi);
    if (hi === null || hi <= upper) return false;
    const remaining = hi - base;
    const converging = this.#chaseRemaining === null || remaining * 10n <= this.#chaseRemaining * 9n;
    this.#chaseRemaining = remaining;
    if (!converging) return false;
    this.#max = hi;
    return true;
  }

  async #firstKeyAbove(db: Queryable, key: bigint): Promise<bigint | null> {
    const [row] = await queryRows<{ k: unknown }>(
      db,
      `SELECT ${this.#column} AS k FROM ${this.#table} FORCE INDEX (${this.#keyIndex}) WHERE ${this.#column} > ? ORDER BY ${this.#column} LIMIT 1`,
      [key],
    );
    return row ? parseIntKey(row.k) : null;
  }
}
