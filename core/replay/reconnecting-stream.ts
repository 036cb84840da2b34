/**
 * The binlog stream replay reads from, surviving lost connections: a KILLed dump thread, a
 * server restart, a silently dead peer (stream.ts notices it by the missing heartbeats). After a
 * loss it opens a new stream from `resumeFrom()` — the replayer's `received`, a transaction
 * boundary — retrying a bounded time (`reconnectSeconds` per loss, MAX_RECONNECTS per run), with
 * log lines saying so. Any other stream error, or a loss beyond those bounds, is `onFatal`.
 */
import type { BinlogPosition } from '../types.ts';
import { isConnectionLoss } from '../connection/lifetime.ts';
import { DEFAULT_RECONNECT_SECONDS, MAX_RECONNECTS } from '../connection/reconnect.ts';
import { BinlogStreamError } from './errors.ts';
import { BinlogStream, type StreamOptions } from './stream.ts';

export interface ReconnectingStreamOptions extends Omit<StreamOptions, 'from' | 'onError' | 'log'> {
  /** `db`.`t`, for messages. */
  label: string;
  reconnectSeconds?: number;
  /** Where a new stream starts after a loss; called once per attempt. */
  resumeFrom(): BinlogPosition;
  onFatal(err: Error): void;
  log?: { debug(m: string): void; info(m: string): void; warn(m: string): void };
}

export class ReconnectingStream {
  readonly #opts: ReconnectingStreamOptions;
  #stream: BinlogStream | undefined;
  #reconnects = 0;
  #reconnecting: Promise<void> | undefined;
  /** A stream being opened by a reconnect (close() closes it too). */
  #opening: BinlogStream | undefined;
  /** Ends a reconnect's backoff early (close()). */
  #wake: () => void = () => undefined;
  #closed = false;

  private constructor(opts: ReconnectingStreamOptions) {
    this.#opts = opts;
  }

  /** Opens the first stream at `from`; rejects when it cannot start (nothing is retried then). */
  static async open(opts: ReconnectingStreamOptions, from: BinlogPosition): Promise<ReconnectingStream> {
    const stream = new ReconnectingStream(opts);
    stream.#stream = await stream.#openAt(from);
    return stream;
  }

  /** Times a new stream was opened after a lost connection. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** The binlog connection's thread id on the server, while a stream is open. */
  get threadId(): number | undefined {
    return this.#stream?.threadId;
  }

  /** Stops reading and reconnecting (at once, even mid-backoff); resolves once no stream is left open. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    await this.#opening?.close();
    await this.#reconnecting;
    await this.#stream?.close();
    this.#stream = undefined;
  }

  async #openAt(from: BinlogPosition): Promise<BinlogStream> {
    const stream = new BinlogStream({ ...this.#opts, from, onError: (err) => this.#onError(err) });
    this.#opening = stream;
    try {
      await stream.started;
    } catch (err) {
      await stream.close();
      throw err;
    } finally {
      this.#opening = undefined;
    }
    return stream;
  }

  #onError(err: BinlogStreamError): void {
    if (this.#closed) return;
    if (!isConnectionLoss(err) || this.#reconnects >= MAX_RECONNECTS) {
      this.#opts.onFatal(err);
      return;
    }
    this.#reconnects++;
    this.#reconnecting = this.#reconnect(err).catch((e: unknown) => {
      if (!this.#closed) this.#opts.onFatal(e instanceof Error ? e : new Error(String(e)));
    });
  }

  async #reconnect(cause: BinlogStreamError): Promise<void> {
    const { log, label } = this.#opts;
    const limitMs = (this.#opts.reconnectSeconds ?? DEFAULT_RECONNECT_SECONDS) * 1000;
    const started = Date.now();
    const what = cause.message.replace(/^binlog replay stopped: /, '').replace(/; check the server.*$/, '');
    log?.warn(`the binlog stream of ${label} was lost (${what}); reconnecting (${this.#reconnects} of at most ${MAX_RECONNECTS}, for up to ${limitMs / 1000} s)`);
    const old = this.#stream;
    this.#stream = undefined;
    await old?.close();
    let last: unknown = cause;
    for (let attempt = 1; !this.#closed; attempt++) {
      const from = this.#opts.resumeFrom();
      try {
        const stream = await this.#openAt(from);
        if (this.#closed) {
          await stream.close();
          return;
        }
        this.#stream = stream;
        log?.info(`the binlog stream of ${label} reconnected after ${Math.round((Date.now() - started) / 1000)} s, reading again from ${from.file}:${from.position}`);
        return;
      } catch (err) {
        last = err;
        if (!isConnectionLoss(err)) throw err;
      }
      const waited = Date.now() - started;
      if (waited >= limitMs) {
        throw new BinlogStreamError(`the server did not accept a binlog connection again within ${limitMs / 1000} s (${last instanceof Error ? last.message : String(last)})`, { cause: last });
      }
      if (attempt % 5 === 0) log?.info(`the binlog stream of ${label} is still waiting for the server (${Math.round(waited / 1000)} s of ${limitMs / 1000} s)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(5000, 500 * attempt));
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }
}
