/**
 * The copier: `threads` workers, each on its own pool connection, pull chunks from one chunker
 * (bound computation serialized) and copy them (adaptive-copy.ts: whole, or in shrinking pieces
 * after lock conflicts, retried for a bounded time). Chunk size adapts to `targetChunkMs`.
 * Progress is exposed as a low watermark (contiguous finished chunks) and a high watermark
 * (highest bound dispatched). run() settles only after every query it started has settled.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { asCancellation, throwIfAborted } from '../lifecycle/abort.ts';
import { serverFlavor } from '../connection/connection.ts';
import { isCancellation } from '../errors.ts';
import type { ChunkDone, ChunkInfo, KeyTuple } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import type { Chunker } from './chunker.ts';
import { ChunkSizer } from './chunk-size.ts';
import { copyAdaptively, type AdaptiveCopy } from './adaptive-copy.ts';
import { CopierSetupError } from './errors.ts';
import { IntRangeChunker } from './int-chunker.ts';
import { hasIntegerKey, parseIntKey } from './keys.ts';
import { KeysetChunker, keyWalk } from './keyset-chunker.ts';
import { tableKey, unchunkableType } from '../table/key.ts';
import { shareLocking, type ShareLocking } from './locking.ts';
import { ConflictBackoff, LOCK_RETRY_POLICY } from './retry.ts';
import { ShadowGate } from './shadow-gate.ts';
import { planCopyStatement, type CopyStatementPlan } from './statement.ts';
import { LowWatermark } from './watermark.ts';

export { copyChunk } from './copy-chunk.ts';
export type { CopyStatementPlan } from './statement.ts';

export interface CopierOptions {
  /** mysql2/promise pool, sessions already set up. */
  pool: Pool;
  source: TableInfo;
  shadow: string;
  mapping: ColumnMapping;
  /** Parallel chunk workers (>= 1). */
  threads: number;
  /** Target duration of one chunk (default 500). */
  targetChunkMs: number;
  /** Resume: copy only rows with pk > startAfter. */
  startAfter: KeyTuple | null;
  signal: AbortSignal;
  /** Awaited before each chunk (the throttler waits here). */
  beforeChunk?: (chunk: ChunkInfo) => Promise<void>;
  afterChunk?: (done: ChunkDone) => Promise<void>;
  /** NOWAIT / SKIP LOCKED clauses (see locking.ts); undefined: detected from the server at run(). */
  locking?: ShareLocking | null;
  /** Shared with replay (see shadow-gate.ts); the copier makes its own when none is given. */
  gate?: ShadowGate;
  /** Give a chunk up after lock conflicts without progress for this long (default 5 min). */
  lockConflictTimeoutMs?: number;
  /** Each piece of a chunk before it is copied (tests). */
  onPiece?: AdaptiveCopy['onPiece'];
}

function checkKeyColumns(source: TableInfo): void {
  for (const name of tableKey(source).columns) {
    const column = source.columns.find((c) => c.name === name);
    if (!column) throw new CopierSetupError(`key column ${name} is not among the columns of ${source.name}; re-read the table`);
    const why = unchunkableType(column);
    if (why) throw new CopierSetupError(`key column ${name} of type ${column.dataType} cannot be chunked exactly (${why}); change the key first with a blocking ALTER`);
  }
}

export class Copier {
  /** True when the PK is a single integer column, so JS can compare keys exactly (BigInt); only then may replay skip keys above highWatermark. */
  readonly comparableKeys: boolean;
  readonly #opts: CopierOptions;
  #plan: CopyStatementPlan;
  /** Copy transactions hold it shared, replay batches exclusively. */
  readonly gate: ShadowGate;
  readonly #chunker: Chunker;
  readonly #sizer: ChunkSizer;
  readonly #low: LowWatermark;
  #high: KeyTuple | null | 'all';
  #rows = 0;
  #read = 0;
  #chunks = 0;
  #started = false;
  #stopping = false;
  #failure: { error: unknown; cancelled: boolean } | null = null;
  #bounds: Promise<unknown> = Promise.resolve();
  #detected = false;
  /** Workers wanted (setThreads changes it while the copy runs), running, and their promises. */
  #wanted: number;
  #running = 0;
  readonly #workers = new Set<Promise<void>>();
  /** The chunker has handed out its last chunk: no new worker would find work. */
  #exhausted = false;

  constructor(opts: CopierOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) {
      throw new CopierSetupError(`threads must be a whole number >= 1 (got ${opts.threads})`);
    }
    if (!(opts.targetChunkMs > 0) || !Number.isFinite(opts.targetChunkMs)) {
      throw new CopierSetupError(`targetChunkMs must be a positive number of milliseconds (got ${opts.targetChunkMs})`);
    }
    this.#opts = opts;
    this.#wanted = opts.threads;
    this.#plan = planCopyStatement(opts.source, opts.shadow, opts.mapping, opts.locking ?? null);
    this.gate = opts.gate ?? new ShadowGate();
    if (opts.lockConflictTimeoutMs !== undefined && !(opts.lockConflictTimeoutMs > 0)) {
      throw new CopierSetupError(`lockConflictTimeoutMs must be a positive number of milliseconds (got ${opts.lockConflictTimeoutMs})`);
    }
    checkKeyColumns(opts.source);
    this.comparableKeys = hasIntegerKey(opts.source);
    this.#chunker = this.comparableKeys
      ? new IntRangeChunker(opts.source, tableKey(opts.source).columns[0]!, opts.startAfter, tableKey(opts.source).index)
      : new KeysetChunker(opts.source, keyWalk(opts.source), opts.startAfter);
    this.#sizer = new ChunkSizer(opts.targetChunkMs);
    this.#low = new LowWatermark(opts.startAfter);
    this.#high = opts.startAfter;
  }

  /** Every row with pk <= it is copied (contiguous finished chunks only). */
  get lowWatermark(): KeyTuple | null | 'done' {
    return this.#low.value;
  }

  /** The highest upper bound dispatched so far; 'all' once the open-ended last chunk was dispatched. */
  get highWatermark(): KeyTuple | null | 'all' {
    return this.#high;
  }

  /** Rows this copier inserted into the shadow. */
  get rowsCopied(): number {
    return this.#rows;
  }

  /** Source rows this copier read (inserted, or skipped because the shadow already had them). */
  get rowsRead(): number {
    return this.#read;
  }

  /** Source rows of the chunks at or below the low watermark (a resume from it counts them as done). */
  get rowsBelowWatermark(): number {
    return this.#low.rows;
  }

  /** Chunks this copier finished. */
  get chunks(): number {
    return this.#chunks;
  }

  /** Current target rows per chunk. */
  get chunkSize(): number {
    return this.#sizer.size;
  }

  /** Workers the copy runs with (what setThreads asked for last). */
  get threads(): number {
    return this.#wanted;
  }

  /** Workers running now (above `threads` for a moment after it is lowered: each leaves after its chunk). */
  get workers(): number {
    return this.#running;
  }

  /**
   * Changes the number of workers while the copy runs: more start at once, fewer retire as each
   * finishes its current chunk (no chunk is ever abandoned).
   */
  setThreads(threads: number): void {
    if (!Number.isInteger(threads) || threads < 1) throw new CopierSetupError(`threads must be a whole number >= 1 (got ${threads})`);
    this.#wanted = threads;
    if (this.#started) this.#spawn();
  }

  /** Changes the time a chunk aims at; the chunk size follows from the next chunk on. */
  setTargetChunkMs(ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) throw new CopierSetupError(`targetChunkMs must be a positive number of milliseconds (got ${ms})`);
    this.#sizer.retarget(ms);
  }

  /** True when no chunk covering `key` has been dispatched yet, so the copier will still read it (false when !comparableKeys). */
  isAboveHighWatermark(key: KeyTuple): boolean {
    if (!this.comparableKeys || this.#high === 'all' || key.length !== 1) return false;
    const k = parseIntKey(key[0]);
    if (k === null) return false;
    if (this.#high === null) return true;
    const high = parseIntKey(this.#high[0]);
    return high !== null && k > high;
  }

  /** Copies every row; settles only after all its in-flight queries have settled. */
  async run(): Promise<void> {
    if (this.#started) throw new CopierSetupError('Copier.run() was called twice; create a new Copier for another run');
    this.#started = true;
    const { signal } = this.#opts;
    throwIfAborted(signal);
    const onAbort = () => {
      this.#stopping = true;
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      this.#spawn();
      // setThreads may add workers while others run: wait until none is left
      while (this.#workers.size > 0) await Promise.allSettled([...this.#workers]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (this.#failure && !this.#failure.cancelled) throw this.#failure.error;
    if (signal.aborted) throw asCancellation(signal.reason);
    if (this.#failure) throw this.#failure.error;
  }

  get #retryPolicy() {
    const timeoutMs = this.#opts.lockConflictTimeoutMs ?? LOCK_RETRY_POLICY.timeoutMs;
    return { ...LOCK_RETRY_POLICY, timeoutMs };
  }

  /** Starts workers up to the number wanted (none once stopping or out of chunks). */
  #spawn(): void {
    while (this.#running < this.#wanted && !this.#stopping && !this.#exhausted) {
      this.#running++;
      const worker: Promise<void> = this.#worker().finally(() => this.#workers.delete(worker));
      this.#workers.add(worker);
    }
  }

  /** A worker between chunks leaves when there are more than wanted (counted off at once, so only the excess leaves). */
  #retire(): boolean {
    if (this.#running <= this.#wanted) return false;
    this.#running--;
    return true;
  }

  #fail(error: unknown): void {
    this.#stopping = true;
    this.#failure ??= { error, cancelled: this.#opts.signal.aborted || isCancellation(error) };
  }

  /** The next chunk and the row count it was cut for, computed under a lock so bounds are handed out in key order. */
  #dispatch(conn: PoolConnection): Promise<{ chunk: ChunkInfo; requested: number } | null> {
    const next = this.#bounds.then(async () => {
      if (this.#stopping) return null;
      if (this.#opts.locking === undefined && !this.#detected) {
        // NOWAIT / SKIP LOCKED clauses by server version, read once on a worker's connection.
        const { source, shadow, mapping } = this.#opts;
        this.#plan = planCopyStatement(source, shadow, mapping, shareLocking(await serverFlavor(conn)));
        this.#detected = true;
      }
      const requested = this.#sizer.size;
      const chunk = await this.#chunker.next(conn, requested);
      if (chunk) {
        this.#low.dispatched(chunk);
        this.#high = chunk.upper ?? 'all';
      }
      return chunk ? { chunk, requested } : null;
    });
    this.#bounds = next.catch(() => undefined);
    return next;
  }

  async #worker(): Promise<void> {
    const { pool, signal, beforeChunk, afterChunk } = this.#opts;
    let conn: PoolConnection | undefined;
    let retired = false;
    try {
      if (this.#stopping) return;
      conn = await pool.getConnection();
      const c = conn;
      for (;;) {
        if (this.#retire()) {
          retired = true;
          return;
        }
        const next = await this.#dispatch(c);
        if (!next) return;
        const { chunk, requested } = next;
        if (beforeChunk) await beforeChunk(chunk);
        if (this.#stopping) return;
        const backoff = new ConflictBackoff(`chunk ${chunk.index} of ${this.#opts.source.name}`, this.#retryPolicy, signal);
        const how: AdaptiveCopy = { table: this.#opts.source, plan: this.#plan, sizer: this.#sizer, gate: this.gate, onPiece: this.#opts.onPiece };
        const { rows, read, ms } = await copyAdaptively(c, chunk, how, backoff);
        this.#rows += rows;
        this.#read += read;
        this.#chunks++;
        this.#sizer.record({ rows, ms, requested });
        this.#chunker.observe(chunk, rows);
        this.#low.finished(chunk.index, read);
        if (afterChunk) await afterChunk({ ...chunk, rows, ms });
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      if (!retired) this.#running--;
      conn?.release();
    }
  }
}
