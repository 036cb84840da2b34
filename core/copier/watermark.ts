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
  readonly #finished = new Set<number>();

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

  finished(index: number): void {
    if (!this.#uppers.has(index)) throw new Error(`chunk ${index} finished but was never dispatched`);
    this.#finished.add(index);
    while (this.#finished.has(this.#next)) {
      const upper = this.#uppers.get(this.#next)!;
      this.#finished.delete(this.#next);
      this.#uppers.delete(this.#next);
      this.#value = upper === null ? 'done' : upper;
      this.#next++;
    }
  }
}
