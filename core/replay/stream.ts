/**
 * One binlog stream: a zongji instance reading the source table's events from a position, with
 * its two connections kept alive (session `wait_timeout`, a ping on the control connection), a
 * heartbeat asked of the server on the binlog connection, and a liveness timer: a stream whose
 * socket receives nothing — not even a heartbeat — for `deadAfterMs` is reported lost. The replayer
 * (replayer.ts) decides what a loss means: it opens a new stream from where it is.
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { Pool } from 'mysql2/promise';
import type { BinlogPosition } from '../types.ts';
import { describeConnection, driverOptions, queryRows, type ConnectionOptions } from '../connection/connection.ts';
import { lifetimeStatements, ignorable } from '../connection/lifetime.ts';
import { redactText } from '../lifecycle/redact.ts';
import { BOUNDARY_EVENTS, type StreamEvent } from './boundaries.ts';
import { BinlogStreamError } from './errors.ts';

const ROW_EVENTS = ['tablemap', 'writerows', 'updaterows', 'deleterows'] as const;
const START_TIMEOUT_MS = 30_000;
/** The server sends a heartbeat after this much silence on the stream. */
export const HEARTBEAT_MS = 2_000;
/** Nothing received (events or heartbeats) for this long: the peer is gone. */
export const DEAD_AFTER_MS = 15_000;
const CONTROL_PING_MS = 60_000;

export interface StreamOptions {
  connection: ConnectionOptions;
  /** For the dump thread check after stop. */
  pool: Pool;
  schema: string;
  table: string;
  serverId: number;
  from: BinlogPosition;
  onEvent(evt: StreamEvent): void;
  /** Called once, for the first failure after the stream started. */
  onError(err: BinlogStreamError): void;
  log?: { debug(m: string): void; warn(m: string): void };
  heartbeatMs?: number;
  deadAfterMs?: number;
}

/** Construct, then await `started` (resolves at the first event, rejects if the stream cannot start); always close(). */
export class BinlogStream {
  readonly started: Promise<void>;
  readonly #opts: StreamOptions;
  readonly #zongji: ZongJi;
  #lastData = Date.now();
  #liveness: NodeJS.Timeout | undefined;
  #ping: NodeJS.Timeout | undefined;
  #failed = false;
  /** True once the stream delivered its first event: only then is a failure a loss (before, start() rejects). */
  #running = false;
  #closing: Promise<void> | undefined;
  /** Rejects `started` if it has not settled yet (close() before the first event). */
  #abortStart: (err: Error) => void = () => undefined;

  constructor(opts: StreamOptions) {
    this.#opts = opts;
    const zongji = new ZongJi(driverOptions(opts.connection));
    this.#zongji = zongji;
    this.started = new Promise<void>((resolve, reject) => {
      let started = false;
      this.#abortStart = (err) => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => {
        if (started) return;
        started = true;
        reject(new BinlogStreamError(`no binlog event from ${describeConnection(opts.connection)} within ${START_TIMEOUT_MS / 1000} s of starting at ${opts.from.file}:${opts.from.position}`));
      }, START_TIMEOUT_MS);
      zongji.on('error', (err: unknown) => {
        const failure = this.#streamError(err);
        if (!started) {
          started = true;
          clearTimeout(timer);
          reject(failure);
          return;
        }
        this.#lost(failure);
      });
      zongji.on('binlog', (event: AnyBinlogEvent) => {
        this.#lastData = Date.now();
        if (!started) {
          started = true;
          clearTimeout(timer);
          this.#running = true;
          this.#watch();
          resolve();
        }
        const evt = event as unknown as StreamEvent;
        if (evt.getEventName() === 'heartbeat' || this.#closing) return;
        opts.onEvent(evt);
      });
    });
    this.started.catch(() => undefined);
    zongji.start({
      serverId: opts.serverId,
      filename: opts.from.file,
      position: opts.from.position,
      includeEvents: [...ROW_EVENTS, ...BOUNDARY_EVENTS, 'heartbeat'],
      includeSchema: { [opts.schema]: [opts.table] },
    });
    this.#prepareConnections();
  }

  /** The binlog connection's id on the server (its `Binlog Dump` thread). */
  get threadId(): number | undefined {
    return this.#zongji.connection?.threadId ?? undefined;
  }

  /**
   * zongji creates both connections in start() and queues its own first queries on them; these
   * are queued right behind (on the binlog connection: before the dump command). The control
   * connection idles for hours: it gets Sluice's idle timeout; the binlog connection gets the
   * heartbeat period (nanoseconds), so a silent peer is noticed within seconds.
   */
  #prepareConnections(): void {
    const heartbeatNs = BigInt(this.#opts.heartbeatMs ?? HEARTBEAT_MS) * 1_000_000n;
    const queries: Array<[ZongJiConnection | null | undefined, string, (err: unknown) => boolean]> = [
      [this.#zongji.connection, `SET @master_heartbeat_period = ${heartbeatNs}`, () => false],
      ...lifetimeStatements().flatMap((s) => [
        [this.#zongji.ctrlConnection, s.sql, (err: unknown) => ignorable(s, err)] as [ZongJiConnection | null | undefined, string, (err: unknown) => boolean],
        [this.#zongji.connection, s.sql, (err: unknown) => ignorable(s, err)] as [ZongJiConnection | null | undefined, string, (err: unknown) => boolean],
      ]),
    ];
    for (const [conn, sql, ok] of queries) {
      conn?.query(sql, (err: unknown) => {
        if (err && !ok(err)) this.#zongji.emit('error', err);
      });
    }
  }

  #watch(): void {
    const deadAfter = this.#opts.deadAfterMs ?? DEAD_AFTER_MS;
    // Any byte counts, not only the events we are shown: a long transaction on another table
    // streams row events zongji filters out, and the server sends no heartbeat while it is busy.
    const socket = (this.#zongji.connection as unknown as { stream?: { on(e: 'data', l: () => void): unknown } } | null)?.stream;
    socket?.on('data', () => { this.#lastData = Date.now(); });
    this.#liveness = setInterval(() => {
      const silent = Date.now() - this.#lastData;
      if (silent > deadAfter) {
        this.#lost(new BinlogStreamError(`no heartbeat or event from ${describeConnection(this.#opts.connection)} for ${Math.round(silent / 1000)} s (the connection is silently dead)`));
      }
    }, Math.min(1000, deadAfter));
    this.#liveness.unref();
    this.#ping = setInterval(() => {
      this.#zongji.ctrlConnection?.ping?.((err: unknown) => { if (err) this.#lost(this.#streamError(err)); });
    }, CONTROL_PING_MS);
    this.#ping.unref();
  }

  #lost(err: BinlogStreamError): void {
    if (!this.#running || this.#failed || this.#closing) return;
    this.#failed = true;
    this.#opts.onError(err);
  }

  #streamError(err: unknown): BinlogStreamError {
    const message = err instanceof Error ? err.message : String(err);
    const secret = this.#opts.connection.password ?? '';
    return new BinlogStreamError(`${describeConnection(this.#opts.connection)}: ${redactText(message, [secret])}`, { cause: err });
  }

  /** Stops reading (idempotent); the dump thread is gone from the server when it resolves. */
  close(): Promise<void> {
    this.#abortStart(new BinlogStreamError(`the stream from ${this.#opts.from.file}:${this.#opts.from.position} was closed before it started`));
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#liveness);
    clearInterval(this.#ping);
    const zongji = this.#zongji;
    const threadId = this.threadId;
    await new Promise<void>((resolve) => {
      zongji.once('stopped', () => resolve());
      zongji.stop();
    });
    zongji.removeAllListeners('binlog');
    // errors of connections being torn down are noise now
    zongji.removeAllListeners('error');
    zongji.on('error', () => undefined);
    if (threadId) await this.#ensureDumpGone(threadId);
  }

  /** zongji KILLs its dump thread with a 1 s timeout: make sure it is really gone. */
  async #ensureDumpGone(threadId: number): Promise<void> {
    const { pool, log } = this.#opts;
    try {
      for (let i = 0; i < 100; i++) {
        const rows = await queryRows(pool, 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
        if (rows.length === 0) return;
        if (i === 20) await pool.query('KILL CONNECTION ?', [threadId]).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      log?.warn(`the binlog dump connection ${threadId} is still listed after stop`);
    } catch (err) {
      log?.debug(`could not check the binlog dump connection: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

interface ZongJiConnection {
  query(sql: string, cb: (err: unknown) => void): unknown;
  ping?(cb: (err: unknown) => void): unknown;
}
