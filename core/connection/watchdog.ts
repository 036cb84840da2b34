/**
 * After a run is aborted, its queries get a grace period to return. One that has not (a lost
 * network path, a lock that is never granted) is killed on the server (`KILL QUERY`, best effort,
 * on a short-lived side connection) and its connection's socket destroyed: the query rejects, the
 * run unwinds and settles. The run stops using the connection; nothing is disposed under it.
 *
 * Reads mysql2's per-connection command slot (`_command`, internal): a connection is busy while it
 * holds one, and stuck when it holds the same one a grace period later.
 */
import mysql, { type Pool } from 'mysql2/promise';
import type { Logger } from '../lifecycle/context.ts';
import { driverOptions, type ConnectionOptions } from './connection.ts';
import { QueryAbandonedError } from './errors.ts';
import { setWatcher } from './registry.ts';

/** How long a query may keep running after an abort before its connection is cut (default). */
export const ABORT_GRACE_MS = 10_000;
const KILL_TIMEOUT_MS = 3_000;

interface RawConnection {
  readonly threadId: number | null;
  readonly _command?: unknown;
  readonly stream?: { destroy(err?: Error): void };
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface WatchdogOptions {
  connection: ConnectionOptions;
  log: Pick<Logger, 'warn'>;
  graceMs?: number;
}

export class StuckQueryWatchdog {
  readonly #opts: WatchdogOptions;
  readonly #graceMs: number;
  readonly #connections = new Set<RawConnection>();
  /** The command each busy connection held at the previous look. */
  #seen = new Map<RawConnection, unknown>();
  #timer: NodeJS.Timeout | undefined;
  #work: Promise<unknown> = Promise.resolve();
  #disposed = false;

  /**
   * Watches the pool's connections and the dedicated ones openConnection() opens with the same
   * `opts.connection` object (from now on), and, once `signal` aborts, their queries.
   */
  constructor(pool: Pool, signal: AbortSignal, opts: WatchdogOptions) {
    this.#opts = opts;
    this.#graceMs = opts.graceMs ?? ABORT_GRACE_MS;
    pool.pool.on('connection', (c) => this.watch(c as unknown as RawConnection));
    setWatcher(opts.connection, this);
    const arm = () => {
      if (this.#disposed) return;
      this.#look();
      this.#timer = setInterval(() => { this.#work = this.#work.then(() => this.#sweep()); }, this.#graceMs);
      this.#timer.unref();
    };
    if (signal.aborted) arm();
    else signal.addEventListener('abort', arm, { once: true });
  }

  /** Watches one more connection (a dedicated one) until it ends. */
  watch(c: RawConnection | { connection: unknown }): void {
    if (this.#disposed) return;
    const raw = ('connection' in c && c.connection ? c.connection : c) as RawConnection;
    this.#connections.add(raw);
    const forget = () => { this.#connections.delete(raw); this.#seen.delete(raw); };
    raw.once('end', forget);
    raw.once('error', forget);
  }

  /** Stops watching; waits for a kill in progress. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    setWatcher(this.#opts.connection, undefined);
    clearInterval(this.#timer);
    await this.#work;
  }

  #look(): void {
    const seen = new Map<RawConnection, unknown>();
    for (const c of this.#connections) if (c._command) seen.set(c, c._command);
    this.#seen = seen;
  }

  async #sweep(): Promise<void> {
    if (this.#disposed) return;
    const stuck = [...this.#connections].filter((c) => c._command && this.#seen.get(c) === c._command);
    for (const c of stuck) {
      const command = c._command;
      this.#opts.log.warn(`cancelling: a query on connection ${c.threadId ?? '?'} has not returned ${Math.round(this.#graceMs / 1000)} s after the abort; killing it`);
      if (c.threadId) await this.#killOnServer(c.threadId);
      if (c._command === command) c.stream?.destroy(new QueryAbandonedError(c.threadId, this.#graceMs));
    }
    this.#look();
  }

  /** KILL QUERY on a side connection, bounded; a failure (server unreachable) is not an error here. */
  async #killOnServer(threadId: number): Promise<void> {
    let side: mysql.Connection | undefined;
    try {
      side = await mysql.createConnection({ ...driverOptions(this.#opts.connection), connectTimeout: KILL_TIMEOUT_MS });
      await side.query({ sql: 'KILL QUERY ?', values: [threadId], timeout: KILL_TIMEOUT_MS });
      // the killed statement returns an error to its connection: give it a moment to arrive
      await new Promise((resolve) => setTimeout(resolve, 200));
    } catch {
      // unreachable or already gone: the socket is destroyed below
    } finally {
      side?.destroy();
    }
  }
}
