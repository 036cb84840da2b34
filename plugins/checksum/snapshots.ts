/**
 * A lock connection and N snapshot connections that hold consistent, identical views of the
 * source and the shadow table:
 *   LOCK TABLES src WRITE, shadow WRITE            (lock connection)
 *   replay.syncUnderLock(lock)                       (shadow now equals source)
 *   START TRANSACTION WITH CONSISTENT SNAPSHOT       (each snapshot connection)
 *   UNLOCK TABLES
 *   SELECT 1 FROM src / shadow LIMIT 1               (each snapshot connection)
 * InnoDB creates the read view at START TRANSACTION WITH CONSISTENT SNAPSHOT itself, so the views
 * are pinned while the lock is held; a read of either table would block behind the lock. The
 * reads after UNLOCK take the tables' metadata locks for the transaction, so no DDL can change
 * them under the pass. `release()` rolls the snapshots back (before any new LOCK TABLES: our own
 * metadata locks would otherwise block it).
 */
import type { Connection } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { openConnection, sleep, throwIfAborted } from '../../plugin-api.ts';
import type { ConnectionOptions, ReplayControl, SessionSettings } from '../../plugin-api.ts';
import { ChecksumLockError } from './errors.ts';
import { settleAll } from './settle.ts';

export interface SnapshotSetOptions {
  connection: ConnectionOptions;
  session: SessionSettings;
  schema: string;
  source: string;
  shadow: string;
  /** Number of snapshot connections. */
  count: number;
  replay: Pick<ReplayControl, 'syncUnderLock'>;
  signal: AbortSignal;
  /** Called right after each connection opens: register its disposer there. */
  onOpen: (name: string, close: () => Promise<void>) => Promise<void>;
  /** Attempts at LOCK TABLES when it times out behind long transactions (default 3). */
  lockAttempts?: number;
}

const LOCK_WAIT_TIMEOUT = 1205;

async function closeConnection(conn: Connection): Promise<void> {
  try {
    await conn.end();
  } catch {
    conn.destroy();
  }
}

export class SnapshotSet {
  readonly #o: SnapshotSetOptions;
  readonly #lock: Connection;
  readonly #conns: Connection[];
  readonly #closers: ReadonlyArray<() => Promise<void>>;
  #closed = false;
  #takenAt = 0;
  #active = false;

  private constructor(o: SnapshotSetOptions, opened: Connection[], closers: Array<() => Promise<void>>) {
    this.#o = o;
    this.#lock = opened[0]!;
    this.#conns = opened.slice(1);
    this.#closers = closers;
  }

  /** Opens the lock connection and `count` snapshot connections, each registered through onOpen at once. */
  static async open(o: SnapshotSetOptions): Promise<SnapshotSet> {
    const opened: Connection[] = [];
    const closers: Array<() => Promise<void>> = [];
    try {
      for (let i = 0; i <= o.count; i++) {
        throwIfAborted(o.signal);
        const conn = await openConnection(o.connection, o.session);
        let closing: Promise<void> | undefined;
        const close = () => (closing ??= closeConnection(conn));
        opened.push(conn);
        closers.push(close);
        await o.onOpen(i === 0 ? 'checksum lock connection' : `checksum snapshot connection ${i}`, close);
      }
    } catch (err) {
      await Promise.allSettled(closers.map((close) => close()));
      throw err;
    }
    return new SnapshotSet(o, opened, closers);
  }

  /** The connections holding the snapshots (valid after take()). */
  get connections(): readonly Connection[] {
    return this.#conns;
  }

  /** The lock connection: no transaction and no lock between take() calls (usable for diagnostics). */
  get lockConnection(): Connection {
    return this.#lock;
  }

  /** Server thread ids, the lock connection first. */
  get threadIds(): number[] {
    return [this.#lock, ...this.#conns].map((c) => c.threadId);
  }

  /** Milliseconds since the snapshots were taken (0 when none is held). */
  get ageMs(): number {
    return this.#active ? Date.now() - this.#takenAt : 0;
  }

  /** Takes (or retakes) the snapshots; returns how long the tables were locked, in ms. */
  async take(): Promise<number> {
    await this.release();
    await this.#lockTables();
    const lockedAt = performance.now();
    let failure: unknown;
    try {
      await this.#o.replay.syncUnderLock(this.#lock);
      await settleAll(this.#conns.map(async (c) => {
        await c.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      }));
      this.#active = true;
      this.#takenAt = Date.now();
    } catch (err) {
      failure = err;
    }
    try {
      await this.#lock.query('UNLOCK TABLES');
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) throw failure;
    const heldMs = performance.now() - lockedAt;
    const reads = [this.#o.source, this.#o.shadow].map((t) => `SELECT 1 FROM ${this.#table(t)} LIMIT 1`);
    await settleAll(this.#conns.map(async (c) => {
      for (const sql of reads) await c.query(sql);
    }));
    return heldMs;
  }

  /** Rolls the snapshot transactions back (releasing their read views and metadata locks). */
  async release(): Promise<void> {
    if (this.#closed) return;
    this.#active = false;
    await settleAll(this.#conns.map((c) => c.query('ROLLBACK')));
  }

  /** Rolls back and closes every connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.release();
    } catch {
      // closing the connections ends their transactions anyway
    }
    this.#closed = true;
    await Promise.allSettled(this.#closers.map((close) => close()));
  }

  #table(name: string): string {
    return `${mysql.escapeId(this.#o.schema)}.${mysql.escapeId(name)}`;
  }

  /**
   * LOCK TABLES, retried when it times out behind long transactions. An abort while it waits
   * kills the waiting statement (from a snapshot connection, idle at this point) and waits for it.
   */
  async #lockTables(): Promise<void> {
    const { signal } = this.#o;
    const sql = `LOCK TABLES ${this.#table(this.#o.source)} WRITE, ${this.#table(this.#o.shadow)} WRITE`;
    const attempts = this.#o.lockAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      let kill: Promise<unknown> | undefined;
      const onAbort = () => {
        kill = (this.#conns[0] ?? this.#lock).query('KILL QUERY ?', [this.#lock.threadId]).catch(() => undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await this.#lock.query(sql);
      } catch (err) {
        if (signal.aborted) throw asCancellationError(signal, err);
        if ((err as { errno?: number }).errno !== LOCK_WAIT_TIMEOUT) throw err;
        if (attempt >= attempts) throw new ChecksumLockError(this.#table(this.#o.source), attempts, this.#o.session.lockWaitTimeout, { cause: err });
        await sleep(500 * attempt, signal);
        continue;
      } finally {
        signal.removeEventListener('abort', onAbort);
        await kill;
      }
      if (signal.aborted) {
        await this.#lock.query('UNLOCK TABLES').catch(() => undefined);
        throwIfAborted(signal);
      }
      return;
    }
  }
}

/** The cancellation the run's signal carries (the killed statement's error is its cause). */
function asCancellationError(signal: AbortSignal, cause: unknown): unknown {
  try {
    throwIfAborted(signal);
  } catch (cancelled) {
    if (cancelled instanceof Error && cancelled.cause === undefined) Object.defineProperty(cancelled, 'cause', { value: cause });
    return cancelled;
  }
  return cause;
}
