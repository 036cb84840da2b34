/**
 * BinlogReplayer: reads the binlog from a position with zongji, keeps the primary keys of the
 * source table's changed rows, and on flush() makes the shadow rows equal to the source rows for
 * those keys (see README.md for why a locking re-select is race-free).
 */
import type { Connection, Pool, PoolConnection } from 'mysql2/promise';
import type { BinlogPosition, KeyTuple } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import { compareBinlogPositions, type ConnectionOptions } from '../connection/connection.ts';
import { asCancellation } from '../lifecycle/abort.ts';
import { applyInTransaction, applyPlan, applyUnderLock, type ApplyPlan, type ApplyTuning, type SqlRunner } from './apply.ts';
import { TransactionBoundaries, type StreamEvent } from './boundaries.ts';
import { ReconnectingStream } from './reconnecting-stream.ts';
import { ddlChangingTable } from './ddl.ts';
import { keyColumns, keyId, type KeyColumn } from './keys.ts';
import { tableKey } from '../table/key.ts';
import { keepKeyBytes, rowEventKeys, type RowsEvent, type TableMapEvent } from './row-events.ts';
import {
  BinlogStreamError, ReplayStoppedError, ReplayUsageError, SourceTableChangedError,
} from './errors.ts';

export interface ReplayOptions {
  connection: ConnectionOptions;
  pool: Pool;
  source: TableInfo;
  shadow: string;
  mapping: ColumnMapping;
  start: BinlogPosition;
  serverId?: number;
  skipKey?: (key: KeyTuple) => boolean;
  batchSize?: number;
  /** The shadow gate shared with the copier (see apply.ts). */
  tuning?: ApplyTuning;
  log?: { debug(m: string): void; info(m: string): void; warn(m: string): void };
  /** Seconds a lost binlog connection is retried before replay fails (default 300). */
  reconnectSeconds?: number;
  /** Liveness of the stream (tests shorten it). */
  stream?: { heartbeatMs?: number; deadAfterMs?: number };
}

interface Waiter {
  pos: BinlogPosition;
  resolve(): void;
  reject(err: unknown): void;
}

export class BinlogReplayer implements AsyncDisposable {
  readonly #opts: ReplayOptions;
  readonly #plan: ApplyPlan;
  readonly #keyColumns: readonly KeyColumn[];
  readonly #batchSize: number;
  readonly #tableLabel: string;
  readonly #serverId: number;
  #boundaries: TransactionBoundaries;
  #stream: ReconnectingStream | undefined;
  #applied: BinlogPosition;
  #pending = new Map<string, KeyTuple>();
  /** Keys taken by the running pool flush and not yet applied. */
  #inflight = new Map<string, KeyTuple>();
  /** Bumped by each under-lock flush: it also applies the in-flight keys of a pool flush. */
  #lockFlushes = 0;
  #events = 0;
  #failure: Error | undefined;
  #stopping: Promise<void> | undefined;
  #flushChain: Promise<unknown> = Promise.resolve();
  #lockChain: Promise<unknown> = Promise.resolve();
  #waiters = new Set<Waiter>();

  private constructor(opts: ReplayOptions) {
    if (tableKey(opts.source).columns.length === 0) throw new ReplayUsageError(`table ${opts.source.schema}.${opts.source.name} has no key to replay by (no primary key, none chosen)`);
    this.#opts = opts;
    this.#plan = applyPlan(opts.source, opts.shadow, opts.mapping, opts.tuning);
    this.#keyColumns = keyColumns(opts.source);
    this.#batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
    this.#boundaries = new TransactionBoundaries(opts.start);
    this.#applied = { file: opts.start.file, position: opts.start.position };
    this.#tableLabel = `\`${opts.source.schema}\`.\`${opts.source.name}\``;
    this.#serverId = opts.serverId ?? randomServerId();
  }

  /** Opens the binlog stream at `opts.start`; resolves once the server streams events to us. */
  static async start(opts: ReplayOptions): Promise<BinlogReplayer> {
    const replayer = new BinlogReplayer(opts);
    try {
      await replayer.#open(opts.start);
      opts.log?.info(`binlog replay of ${replayer.#tableLabel} reading from ${opts.start.file}:${opts.start.position}`);
    } catch (err) {
      await replayer.stop();
      throw err;
    }
    return replayer;
  }

  /** End of the last complete transaction received. */
  get received(): BinlogPosition {
    return this.#boundaries.position;
  }

  /** Every change before this position is in the shadow table. */
  get applied(): BinlogPosition {
    return this.#applied;
  }

  get pending(): number {
    return this.#pending.size + this.#inflight.size;
  }

  get eventsReceived(): number {
    return this.#events;
  }

  /** Why replay stopped for good (then every flush and wait rejects with it), if it did. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Times the stream was opened again after a lost connection. */
  get reconnects(): number {
    return this.#stream?.reconnects ?? 0;
  }

  /** The binlog connection's thread id on the server, while a stream is open. */
  get streamThreadId(): number | undefined {
    return this.#stream?.threadId;
  }

  /**
   * Applies every pending key (batches of `batchSize`) and returns how many. With
   * `underLock`, `conn` must be the connection holding the cutover's LOCK TABLES: the statements
   * then run in autocommit, never in a transaction (which would release the locks).
   */
  flush(conn?: PoolConnection | Connection, opts?: { underLock?: boolean }): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (opts?.underLock) {
      if (!conn) return Promise.reject(new ReplayUsageError('flush({ underLock: true }) needs the connection that holds LOCK TABLES'));
      return this.#serial('lock', () => this.#flushUnderLock(conn));
    }
    return this.#serial('pool', () => this.#flushInTransactions(conn));
  }

  /** Resolves once `received` >= pos; rejects on a stream failure, stop() or abort. */
  waitFor(pos: BinlogPosition, signal: AbortSignal): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (compareBinlogPositions(this.received, pos) >= 0) return Promise.resolve();
    if (signal.aborted) return Promise.reject(asCancellation(signal.reason));
    if (this.#stopping) return Promise.reject(new ReplayStoppedError());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(asCancellation(signal.reason));
      };
      const waiter: Waiter = {
        pos,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      this.#waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops reading (idempotent). Nothing seen after this is reported, not even DDL. */
  stop(): Promise<void> {
    this.#stopping ??= this.#close();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    // Never return while one of our flushes still has a query in flight on the caller's pool.
    await Promise.allSettled([this.#flushChain, this.#lockChain]);
    this.#pending.clear();
    this.#inflight.clear();
  }

  // ---- stream ----

  async #open(from: BinlogPosition): Promise<void> {
    const { source } = this.#opts;
    this.#stream = await ReconnectingStream.open({
      connection: this.#opts.connection,
      pool: this.#opts.pool,
      schema: source.schema,
      table: source.name,
      label: this.#tableLabel,
      serverId: this.#serverId,
      reconnectSeconds: this.#opts.reconnectSeconds,
      ...this.#opts.stream,
      // a new stream starts at the last transaction boundary; the keys seen so far stay pending
      resumeFrom: () => {
        const from = this.received;
        this.#boundaries = new TransactionBoundaries(from);
        return from;
      },
      onEvent: (evt) => this.#onEvent(evt),
      onFatal: (err) => this.#fail(err),
      log: this.#opts.log,
    }, from);
  }

  #onEvent(evt: StreamEvent): void {
    if (this.#stopping || this.#failure) return;
    const name = evt.getEventName();
    if (name === 'tablemap') {
      keepKeyBytes(evt as TableMapEvent, this.#opts.source, this.#keyColumns);
      return;
    }
    if (name === 'writerows' || name === 'updaterows' || name === 'deleterows') {
      this.#onRows(evt as RowsEvent, name === 'updaterows');
      return;
    }
    if (name === 'query') {
      const q = evt as StreamEvent & { query?: string; schema?: string };
      const ddl = ddlChangingTable(q.query ?? '', q.schema ?? '', this.#opts.source);
      if (ddl) {
        this.#fail(new SourceTableChangedError(this.#tableLabel, ddl.kind));
        return;
      }
    }
    if (this.#boundaries.observe(evt)) this.#wakeWaiters();
  }

  #onRows(evt: RowsEvent, isUpdate: boolean): void {
    const { source, skipKey } = this.#opts;
    const keys = rowEventKeys(evt, isUpdate, source, this.#keyColumns);
    if (keys === null) return;
    this.#events += evt.rows.length;
    for (const key of keys) {
      if (key === undefined) {
        this.#fail(new BinlogStreamError(`a row event for ${this.#tableLabel} lacks key column(s) ${tableKey(source).columns.join(', ')}`));
        return;
      }
      if (skipKey?.(key)) continue;
      this.#pending.set(keyId(key), key);
    }
  }

  #fail(err: Error): void {
    if (this.#failure || this.#stopping) return;
    this.#failure = err;
    this.#opts.log?.warn(err.message);
    for (const w of this.#waiters) w.reject(err);
    this.#waiters.clear();
    void this.stop();
  }

  #wakeWaiters(): void {
    for (const w of this.#waiters) {
      if (compareBinlogPositions(this.received, w.pos) >= 0) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  async #close(): Promise<void> {
    const stopped = this.#failure ?? new ReplayStoppedError();
    for (const w of this.#waiters) w.reject(stopped);
    this.#waiters.clear();
    await this.#stream?.close();
    this.#opts.log?.debug(`binlog replay stopped at ${this.received.file}:${this.received.position}`);
  }

  // ---- flushes ----

  #serial<T>(which: 'pool' | 'lock', task: () => Promise<T>): Promise<T> {
    const chain = which === 'pool' ? this.#flushChain : this.#lockChain;
    const run = chain.then(task, task);
    const settled = run.catch(() => undefined);
    if (which === 'pool') this.#flushChain = settled;
    else this.#lockChain = settled;
    return run;
  }

  async #flushInTransactions(conn: PoolConnection | Connection | undefined): Promise<number> {
    if (this.#failure) throw this.#failure;
    const target = this.received;
    const generation = this.#lockFlushes;
    this.#inflight = this.#pending;
    this.#pending = new Map();
    const mine = this.#inflight;
    this.#dropSkippable(mine);
    const entries = [...mine.entries()];
    let applied = 0;
    const own = conn ? undefined : await this.#opts.pool.getConnection().catch((err) => {
      this.#restore(mine, entries, generation);
      throw err;
    });
    const runner: SqlRunner = (conn ?? own)!;
    try {
      for (let i = 0; i < entries.length; i += this.#batchSize) {
        // An under-lock flush took over these keys: stop here, it applies them.
        if (this.#lockFlushes !== generation) break;
        const batch = entries.slice(i, i + this.#batchSize);
        await applyInTransaction(runner, this.#plan, batch.map(([, key]) => key));
        for (const [id] of batch) mine.delete(id);
        applied += batch.length;
      }
    } catch (err) {
      this.#restore(mine, [...mine.entries()], generation);
      throw err;
    } finally {
      own?.release();
      if (this.#inflight === mine) this.#inflight = new Map();
    }
    if (this.#lockFlushes === generation) this.#advanceApplied(target);
    if (applied > 0) this.#opts.log?.debug(`replay applied ${applied} key(s) to ${this.#plan.shadowLabel}`);
    return applied;
  }

  /** Puts keys a failed flush did not apply back, unless an under-lock flush applied them since. */
  #restore(mine: Map<string, KeyTuple>, entries: Array<[string, KeyTuple]>, generation: number): void {
    if (this.#inflight === mine) this.#inflight = new Map();
    if (this.#lockFlushes !== generation) return;
    for (const [id, key] of entries) if (!this.#pending.has(id)) this.#pending.set(id, key);
  }

  async #flushUnderLock(conn: PoolConnection | Connection): Promise<number> {
    if (this.#failure) throw this.#failure;
    const target = this.received;
    this.#lockFlushes++;
    // The pool flush (if any) is blocked behind our table locks: its keys are ours to apply.
    const keys = new Map([...this.#inflight, ...this.#pending]);
    this.#inflight = new Map();
    this.#pending = new Map();
    this.#dropSkippable(keys);
    const entries = [...keys.entries()];
    let applied = 0;
    try {
      for (let i = 0; i < entries.length; i += this.#batchSize) {
        const batch = entries.slice(i, i + this.#batchSize);
        await applyUnderLock(conn, this.#plan, batch.map(([, key]) => key));
        for (const [id] of batch) keys.delete(id);
        applied += batch.length;
      }
    } catch (err) {
      for (const [id, key] of keys) if (!this.#pending.has(id)) this.#pending.set(id, key);
      throw err;
    }
    this.#advanceApplied(target);
    this.#opts.log?.debug(`replay applied ${applied} key(s) to ${this.#plan.shadowLabel} under the cutover lock`);
    return applied;
  }

  /**
   * Re-checks `skipKey` when a flush takes its keys. A key taken in while it was not skippable yet
   * (e.g. before the copier existed) but skippable now must not be written: replay would put a row
   * above the copier's high watermark into the shadow, later changes to that key would be skipped,
   * and the copier's INSERT IGNORE would keep the stale row (or never delete it). The copier reads it.
   */
  #dropSkippable(keys: Map<string, KeyTuple>): void {
    const skip = this.#opts.skipKey;
    if (!skip) return;
    for (const [id, key] of keys) if (skip(key)) keys.delete(id);
  }

  #advanceApplied(target: BinlogPosition): void {
    if (compareBinlogPositions(target, this.#applied) > 0) this.#applied = target;
  }
}

/** A replica server id unlikely to collide with a real replica's. */
function randomServerId(): number {
  return 0x7000_0000 + Math.floor(Math.random() * 0x0fff_ffff);
}
