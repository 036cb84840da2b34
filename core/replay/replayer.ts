/**
 * BinlogReplayer: reads the binlog from a position with zongji, keeps the primary keys of the
 * source table's changed rows, and on flush() makes the shadow rows equal to the source rows for
 * those keys (see README.md for why a locking re-select is race-free).
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { Connection, Pool, PoolConnection } from 'mysql2/promise';
import type { BinlogPosition, KeyTuple } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import {
  compareBinlogPositions, describeConnection, driverOptions, queryRows, type ConnectionOptions,
} from '../connection/connection.ts';
import { asCancellation } from '../lifecycle/abort.ts';
import { redactText } from '../lifecycle/redact.ts';
import { applyInTransaction, applyPlan, applyUnderLock, type ApplyPlan, type ApplyTuning, type SqlRunner } from './apply.ts';
import { BOUNDARY_EVENTS, TransactionBoundaries, type StreamEvent } from './boundaries.ts';
import { ddlChangingTable } from './ddl.ts';
import { keyColumns, keyId, keyOfRow, type KeyColumn } from './keys.ts';
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
}

const ROW_EVENTS = ['tablemap', 'writerows', 'updaterows', 'deleterows'] as const;
const START_TIMEOUT_MS = 30_000;

interface RowsEvent extends StreamEvent {
  readonly tableId: number;
  readonly tableMap: Record<number, { parentSchema: string; tableName: string } | undefined>;
  readonly rows: Array<Record<string, unknown> | { before: Record<string, unknown>; after: Record<string, unknown> }>;
}

interface TableMapEvent extends StreamEvent {
  readonly tableId: number;
  readonly tableMap: Record<number, { parentSchema: string; tableName: string; columns?: Array<{ name: string; charset: string | null }> } | undefined>;
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
  readonly #boundaries: TransactionBoundaries;
  readonly #tableLabel: string;
  #zongji: ZongJi | undefined;
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
    if (opts.source.primaryKey.length === 0) throw new ReplayUsageError(`table ${opts.source.schema}.${opts.source.name} has no primary key; replay needs one`);
    this.#opts = opts;
    this.#plan = applyPlan(opts.source, opts.shadow, opts.mapping, opts.tuning);
    this.#keyColumns = keyColumns(opts.source);
    this.#batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
    this.#boundaries = new TransactionBoundaries(opts.start);
    this.#applied = { file: opts.start.file, position: opts.start.position };
    this.#tableLabel = `\`${opts.source.schema}\`.\`${opts.source.name}\``;
  }

  /** Opens the binlog stream at `opts.start`; resolves once the server streams events to us. */
  static async start(opts: ReplayOptions): Promise<BinlogReplayer> {
    const replayer = new BinlogReplayer(opts);
    try {
      await replayer.#open();
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

  #open(): Promise<void> {
    const { connection, source } = this.#opts;
    const zongji = new ZongJi(driverOptions(connection));
    this.#zongji = zongji;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        if (started) return;
        started = true;
        reject(new BinlogStreamError(`no binlog event from ${describeConnection(connection)} within ${START_TIMEOUT_MS / 1000} s of starting at ${this.#opts.start.file}:${this.#opts.start.position}`));
      }, START_TIMEOUT_MS);
      zongji.on('error', (err: unknown) => {
        const failure = this.#streamError(err);
        if (!started) {
          started = true;
          clearTimeout(timer);
          reject(failure);
          return;
        }
        this.#fail(failure);
      });
      zongji.on('binlog', (event: AnyBinlogEvent) => {
        const evt = event as unknown as StreamEvent;
        if (!started) {
          started = true;
          clearTimeout(timer);
          resolve();
        }
        this.#onEvent(evt);
      });
      zongji.start({
        serverId: this.#opts.serverId ?? randomServerId(),
        filename: this.#opts.start.file,
        position: this.#opts.start.position,
        includeEvents: [...ROW_EVENTS, ...BOUNDARY_EVENTS],
        includeSchema: { [source.schema]: [source.name] },
      });
    });
  }

  #onEvent(evt: StreamEvent): void {
    if (this.#stopping || this.#failure) return;
    const name = evt.getEventName();
    if (name === 'tablemap') {
      this.#keepKeyBytes(evt as TableMapEvent);
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

  /**
   * zongji decodes text with iconv, lossily for some charsets (see keys.ts). It decodes each row
   * with the table map's `columns[i].charset`, and parses the rows only after this event was
   * emitted: for key columns in a charset other than UTF-8, ask for 'binary' (one character per
   * byte), which keyOfRow turns back into the stored bytes.
   */
  #keepKeyBytes(evt: TableMapEvent): void {
    const entry = evt.tableMap[evt.tableId];
    const { source } = this.#opts;
    if (!entry || entry.parentSchema !== source.schema || entry.tableName !== source.name) return;
    const raw = new Set(this.#keyColumns.filter((c) => c.rawBytes).map((c) => c.name.toLowerCase()));
    if (raw.size === 0) return;
    for (const column of entry.columns ?? []) if (raw.has(column.name.toLowerCase())) column.charset = 'binary';
  }

  #onRows(evt: RowsEvent, isUpdate: boolean): void {
    const table = evt.tableMap[evt.tableId];
    const { source, skipKey } = this.#opts;
    if (table && (table.parentSchema !== source.schema || table.tableName !== source.name)) return;
    for (const row of evt.rows) {
      this.#events++;
      const images = isUpdate
        ? [(row as { before: Record<string, unknown> }).before, (row as { after: Record<string, unknown> }).after]
        : [row as Record<string, unknown>];
      for (const image of images) {
        const key = keyOfRow(image, this.#keyColumns);
        if (!key) {
          this.#fail(new BinlogStreamError(`a row event for ${this.#tableLabel} lacks primary key column(s) ${source.primaryKey.join(', ')}`));
          return;
        }
        if (skipKey?.(key)) continue;
        this.#pending.set(keyId(key), key);
      }
    }
  }

  #streamError(err: unknown): BinlogStreamError {
    const message = err instanceof Error ? err.message : String(err);
    const secret = this.#opts.connection.password ?? '';
    return new BinlogStreamError(`${describeConnection(this.#opts.connection)}: ${redactText(message, [secret])}`, { cause: err });
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
    const zongji = this.#zongji;
    const stopped = this.#failure ?? new ReplayStoppedError();
    for (const w of this.#waiters) w.reject(stopped);
    this.#waiters.clear();
    if (!zongji) return;
    const threadId = zongji.connection?.threadId ?? undefined;
    await new Promise<void>((resolve) => {
      zongji.once('stopped', () => resolve());
      zongji.stop();
    });
    zongji.removeAllListeners('binlog');
    if (threadId) await this.#ensureDumpGone(threadId);
    this.#opts.log?.debug(`binlog replay stopped at ${this.received.file}:${this.received.position}`);
  }

  /** zongji KILLs its dump thread with a 1 s timeout: make sure it is really gone. */
  async #ensureDumpGone(threadId: number): Promise<void> {
    const { pool } = this.#opts;
    try {
      for (let i = 0; i < 100; i++) {
        const rows = await queryRows(pool, 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
        if (rows.length === 0) return;
        if (i === 20) await pool.query('KILL CONNECTION ?', [threadId]).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      this.#opts.log?.warn(`the binlog dump connection ${threadId} is still listed after stop`);
    } catch (err) {
      this.#opts.log?.debug(`could not check the binlog dump connection: ${err instanceof Error ? err.message : String(err)}`);
    }
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
