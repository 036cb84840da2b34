/**
 * The low watermark: every row with key <= it is copied. Chunks are dispatched in key order but
 * finish out of order when several workers run; the watermark only moves over the contiguous
 * prefix of finished chunks, to the upper bound of the last one ('done' past the open-ended last).
 */
import type { ChunkInfo, KeyTuple } from '../types.ts';

export class LowWatermark {
  #value: KeyTuple | null | 'done';
  #next = 0;
  readonly #uppers = new Map<number, KeyTuple | null>();
  readonly #finished = new Map<number, number>();
  #rows = 0;

  /** `initial`: the resume point (rows up to it were copied by an earlier run), or null. */
  constructor(initial: KeyTuple | null) {
    this.#value = initial;
  }

  get value(): KeyTuple | null | 'done' {
    return this.#value;
  }

  /** Chunks must be registered in index order, before they finish. */
  dispatched(chunk: ChunkInfo): void {
    this.#uppers.set(chunk.index, chunk.upper);
  }

  /** Source rows of the chunks at or below the watermark (what a resume from it counts as done). */
  get rows(): number {
    return this.#rows;
  }

  /** `rows`: the source rows the chunk covered. */
  finished(index: number, rows = 0): void {
    if (!this.#uppers.has(index)) throw new Error(`chunk ${index} finished but was never dispatched`);
    this.#finished.set(index, rows);
    while (this.#finished.has(this.#next)) {
      const upper = this.#uppers.get(this.#next)!;
      this.#rows += this.#finished.get(this.#next)!;
      this.#finished.delete(this.#next);
      this.#uppers.delete(this.#next);
      this.#value = upper === null ? 'done' : upper;
      this.#next++;
    }
  }
}
