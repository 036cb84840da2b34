/**
 * The application the load process plays: a deterministic mix of single-row writes on bench.t
 * (50% insert, 35% update of a random existing id, 15% delete of one), through plain SQL.
 */
import type { Connection, ResultSetHeader } from 'mysql2/promise';
import { seededRandom } from '../test/support/random.ts';
import { qualified, TABLE } from './dataset.ts';

export type OpKind = 'insert' | 'update' | 'delete';

/** A small deterministic PRNG (the tests' seeded mulberry32), so every run issues the same sequence. */
export const prng = seededRandom;

export function pickOp(r: number): OpKind {
  return r < 0.5 ? 'insert' : r < 0.85 ? 'update' : 'delete';
}

export class LoadMix {
  readonly #random: () => number;
  #maxId: number;

  constructor(maxId: number, seed = 42) {
    this.#random = prng(seed);
    this.#maxId = Math.max(1, maxId);
  }

  next(): OpKind {
    return pickOp(this.#random());
  }

  /** Runs one operation on `conn`. */
  async run(conn: Connection, kind: OpKind): Promise<void> {
    const t = qualified(TABLE);
    const r = this.#random();
    const id = 1 + Math.floor(r * this.#maxId);
    if (kind === 'insert') {
      const [res] = await conn.query(
        `INSERT INTO ${t} (account_id, quantity, price, sku, note, attrs, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, JSON_OBJECT('color', 'live', 'n', ?), NOW(6), NOW(6))`,
        [1 + (id % 50000), id % 100, ((id * 37) % 100000) / 100, `SKU-L${id % 1000}`, `live ${id}`, id],
      ) as unknown as [ResultSetHeader];
      if (res.insertId > this.#maxId) this.#maxId = res.insertId;
    } else if (kind === 'update') {
      await conn.query(`UPDATE ${t} SET quantity = quantity + 1, price = price + 0.01, updated_at = NOW(6) WHERE id = ?`, [id]);
    } else {
      await conn.query(`DELETE FROM ${t} WHERE id = ?`, [id]);
    }
  }
}
