/**
 * The table's advisory lock on a dedicated connection: GET_LOCK(name, 0) (never waits), refreshed
 * on a timer (IS_USED_LOCK(name) = CONNECTION_ID(); after a lost connection: reconnect and take it
 * again), released with RELEASE_LOCK before the connection is closed. A loss is remembered and
 * thrown from the plugin's next hook. Refreshes never overlap, and release() awaits the one in flight.
 */
import type { Connection } from 'mysql2/promise';
import { openConnection, type ConnectionOptions, type Logger, type SessionSettings } from '../../plugin-api.ts';
import { LockAcquireError, LockHeldError, LockLostError } from './errors.ts';

export interface TableLockOptions {
  connection: ConnectionOptions;
  session?: SessionSettings;
  /** The lock's name (see lock-name.ts). */
  name: string;
  /** The table, for messages: `db`.`t`. */
  table: string;
  refreshMs: number;
  log: Logger;
}

/** How soon to retry after the lock's connection could not be used. */
const RETRY_MAX_MS = 5000;
/** No statement on the lock's connection waits longer (a lost network path must not stall a refresh or dispose). */
const QUERY_TIMEOUT_MS = 10_000;

export class TableLock {
  readonly #opts: TableLockOptions;
  #conn: Connection | undefined;
  /** True while this object believes it holds the lock. */
  #held = false;
  #lost: LockLostError | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  /** Every operation on the connection runs on this chain, one at a time. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: TableLockOptions) {
    this.#opts = opts;
  }

  get name(): string {
    return this.#opts.name;
  }

  /** The connection holding the lock (its id), if any. */
  get connectionId(): number | undefined {
    return this.#held ? this.#conn?.threadId ?? undefined : undefined;
  }

  /** Takes the lock or throws LockHeldError at once; starts the refresh timer. */
  acquire(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      await this.#take();
      this.#schedule(this.#opts.refreshMs);
    });
  }

  /** Throws the LockLostError a refresh found, if any. */
  throwIfLost(): void {
    if (this.#lost) throw this.#lost;
  }

  /** Checks on the server, now, that the lock is still ours (re-taking it if needed); throws LockLostError if not. */
  confirm(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      await this.#refresh();
      this.throwIfLost();
      if (!this.#held) {
        throw new LockLostError(this.#opts.table, this.#opts.name, null, 'its connection is down and it could not be taken again');
      }
    });
  }

  /** Stops refreshing, waits for a refresh in flight, releases the lock explicitly, closes the connection. */
  release(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    return this.#serial(async () => {
      const conn = this.#conn;
      this.#conn = undefined;
      if (!conn) return;
      let broken = false;
      try {
        if (this.#held) await conn.query({ sql: 'SELECT RELEASE_LOCK(?)', values: [this.#opts.name], timeout: QUERY_TIMEOUT_MS });
      } catch (err) {
        // The connection is broken: the server drops its locks with it (destroyed below).
        broken = true;
        this.#opts.log.warn(`mdl: RELEASE_LOCK of ${this.#opts.name} failed (${describe(err)}); closing its connection releases it`);
      } finally {
        this.#held = false;
        if (broken) conn.destroy();
        else await conn.end().catch(() => conn.destroy());
      }
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #schedule(ms: number): void {
    if (this.#closed || this.#lost) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.#serial(async () => {
        if (this.#closed) return;
        const healthy = await this.#refresh();
        this.#schedule(healthy ? this.#opts.refreshMs : Math.min(this.#opts.refreshMs, RETRY_MAX_MS));
      });
    }, ms);
    this.#timer.unref();
  }

  /** Opens the dedicated connection (if needed) and takes the lock; throws LockHeldError if another connection has it. */
  async #take(): Promise<void> {
    const conn = this.#conn ?? await this.#connect();
    const [row] = await bounded<{ got: unknown }>(conn, 'SELECT GET_LOCK(?, 0) AS got', [this.#opts.name]);
    if (row?.got === null || row?.got === undefined) throw new LockAcquireError(this.#opts.table, this.#opts.name);
    if (Number(row.got) === 1) {
      this.#held = true;
      return;
    }
    const [who] = await bounded<{ holder: unknown }>(conn, 'SELECT IS_USED_LOCK(?) AS holder', [this.#opts.name]);
    throw new LockHeldError(this.#opts.table, this.#opts.name, who?.holder == null ? null : String(who.holder));
  }

  async #connect(): Promise<Connection> {
    const conn = await openConnection(this.#opts.connection, this.#opts.session);
    // A connection dropped while idle emits 'error': forget it (the next refresh reconnects).
    conn.on('error', (err: unknown) => {
      if (this.#conn !== conn) return;
      this.#opts.log.warn(`mdl: the connection holding ${this.#opts.name} failed (${describe(err)}); it is taken again at the next refresh`);
      this.#drop();
    });
    if (this.#closed) {
      await conn.end().catch(() => conn.destroy());
      throw new LockLostError(this.#opts.table, this.#opts.name, null, 'the migration is being disposed');
    }
    this.#conn = conn;
    return conn;
  }

  #drop(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    this.#held = false;
    conn?.destroy();
  }

  /** One refresh; returns false when the server could not be reached (retry sooner). Never throws. */
  async #refresh(): Promise<boolean> {
    if (this.#lost) return true;
    const { name, table, log } = this.#opts;
    try {
      if (this.#conn && this.#held) {
        const [row] = await bounded<{ mine: unknown; holder: unknown }>(this.#conn,
          'SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine, IS_USED_LOCK(?) AS holder', [name, name]);
        if (Number(row?.mine) === 1) return true;
        this.#held = false;
        if (row?.holder != null) {
          this.#lose(new LockLostError(table, name, String(row.holder)));
          return true;
        }
        log.warn(`mdl: the lock ${name} was no longer held by its connection; taking it again`);
      }
      const reconnect = !this.#conn;
      await this.#take();
      if (reconnect) log.warn(`mdl: took the lock ${name} again on a new connection (${this.#conn?.threadId})`);
      return true;
    } catch (err) {
      if (err instanceof LockHeldError) {
        this.#lose(new LockLostError(table, name, err.holder));
        return true;
      }
      if (this.#closed) return true;
      log.warn(`mdl: could not check the lock ${name} (${describe(err)}); retrying`);
      this.#drop();
      return false;
    }
  }

  #lose(err: LockLostError): void {
    this.#lost ??= err;
    this.#held = false;
    clearTimeout(this.#timer);
    this.#opts.log.warn(`mdl: ${err.message}`);
  }
}

/** A query on the lock's connection that gives up after QUERY_TIMEOUT_MS (the connection is then dropped by the caller). */
async function bounded<T>(conn: Connection, sql: string, values: unknown[]): Promise<T[]> {
  const [rows] = await conn.query({ sql, values, timeout: QUERY_TIMEOUT_MS });
  return rows as unknown as T[];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
