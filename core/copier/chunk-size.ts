/**
 * Adaptive chunk size (rows): aim each chunk at `targetMs`, estimating the time per row from a
 * high percentile (p90) of recent chunks so that one slow chunk counts and a few fast ones do not
 * mislead; grow at most 1.5x per step (shrink at once), clamp to 10..100000 rows.
 */

export interface ChunkSample {
  readonly rows: number;
  readonly ms: number;
  /**
   * The rows the chunk was cut for. A chunk with far fewer (a sparse key range, the end of the
   * table) says little about the time per row: its time is mostly the fixed cost of a chunk.
   */
  readonly requested?: number;
}

export interface ChunkSizeLimits {
  readonly min: number;
  readonly max: number;
  readonly growth: number;
  readonly percentile: number;
}

export const INITIAL_CHUNK_ROWS = 1000;
export const CHUNK_SIZE_LIMITS: ChunkSizeLimits = { min: 10, max: 100_000, growth: 1.5, percentile: 0.9 };

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}

/** The next chunk size given the current one and recent samples (chunks with no rows say nothing). */
export function nextChunkSize(
  current: number,
  samples: readonly ChunkSample[],
  targetMs: number,
  limits: ChunkSizeLimits = CHUNK_SIZE_LIMITS,
): number {
  const perRow = samples.filter((s) => s.rows > 0 && s.ms >= 0).map((s) => s.ms / s.rows);
  const clamp = (n: number) => Math.min(limits.max, Math.max(limits.min, Math.floor(n)));
  if (perRow.length === 0) return clamp(current);
  const msPerRow = percentile(perRow, limits.percentile);
  const ideal = msPerRow > 0 ? targetMs / msPerRow : Number.POSITIVE_INFINITY;
  return clamp(Math.min(ideal, current * limits.growth));
}

/** Keeps the recent samples and the current size. */
export class ChunkSizer {
  #size: number;
  #targetMs: number;
  readonly #samples: ChunkSample[] = [];

  constructor(
    targetMs: number,
    initial = INITIAL_CHUNK_ROWS,
    private readonly window = 10,
  ) {
    this.#targetMs = targetMs;
    this.#size = initial;
  }

  get targetMs(): number {
    return this.#targetMs;
  }

  /** A new time target (an operator's chunk-time=…): the size follows at once from the recent samples. */
  retarget(targetMs: number): void {
    this.#targetMs = targetMs;
    if (this.#samples.length > 0) this.#size = nextChunkSize(this.#size, this.#samples, targetMs);
  }

  get size(): number {
    return this.#size;
  }

  /** A lock conflict: halve the size at once (busy rows favour small, short transactions). */
  conflict(): void {
    this.#size = Math.max(CHUNK_SIZE_LIMITS.min, Math.floor(this.#size / 2));
  }

  record(sample: ChunkSample): void {
    if (sample.rows <= 0) return;
    if (sample.requested !== undefined && sample.rows < sample.requested / 2) return;
    this.#samples.push(sample);
    if (this.#samples.length > this.window) this.#samples.shift();
    this.#size = nextChunkSize(this.#size, this.#samples, this.#targetMs);
  }
}
