/**
 * A lock connection and N snapshot connections that hold consistent, identical views of the
 * source and the shadow table (see README.md, "Snapshots", for why this is right):
 *   replay.catchUp                                   (before locking: only a short tail remains)
 *   LOCK TABLES src READ, shadow WRITE               (lock connection, through Tokens.Locks: blockers
 *                                                     found and killed, every wait bounded)
 *   replay.syncUnderLock(lock, bounded)              (the tail: shadow now equals source)
 *   START TRANSACTION WITH CONSISTENT SNAPSHOT       (each snapshot connection)
 *   UNLOCK TABLES
 *   SELECT 1 FROM src / shadow LIMIT 1               (each snapshot connection)
 * InnoDB creates the read view at START TRANSACTION WITH CONSISTENT SNAPSHOT itself, so the views
 * are pinned while the lock is held. The reads after UNLOCK take the tables' metadata locks for
 * the transaction, so no DDL can change them under the pass. `release()` rolls the snapshots back
 * (before any new LOCK TABLES: our own metadata locks would otherwise block it). A tail that does
 * not arrive within the stall bound: unlock, back off, retry.
 */
import type { Connection } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { LockBlockedError, openConnection, ReplayLagError, sleep, throwIfAborted } from '../../plugin-api.ts';
import type { ConnectionOptions, ReplayControl, SessionSettings, TableLocks } from '../../plugin-api.ts';
import { ChecksumCatchUpError, ChecksumLockError } from './errors.ts';
import { settleAll } from './settle.ts';

export interface SnapshotSetOptions {
  connection: ConnectionOptions;
  session: SessionSettings;
  schema: string;
  source: string;
  shadow: string;
  /** Number of snapshot connections. */
  count: number;
  replay: Pick<ReplayControl, 'syncUnderLock' | 'catchUp'>;
  /** The migration's lock service (Tokens.Locks). */
  locks: Pick<TableLocks, 'lock' | 'policy'>;
  /** Where lock waits and kills are reported. */
  log: { debug(m: string): void };
  signal: AbortSignal;
  /** Called right after each connection opens: register its disposer there. */
  onOpen: (name: string, close: () => Promise<void>) => Promise<void>;
  /** Attempts at lock + catch-up when blockers or a slow replay keep it from finishing in time (default 3). */
  lockAttempts?: number;
}

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
    const { signal, locks } = this.#o;
    const attempts = this.#o.lockAttempts ?? 3;
    const stallMs = locks.policy.stallSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      await this.release();
      try {
        return await this.#attempt(stallMs);
      } catch (err) {
        if (signal.aborted) throw err;
        if (!(err instanceof LockBlockedError) && !(err instanceof ReplayLagError)) throw err;
        if (attempt >= attempts) {
          throw err instanceof LockBlockedError
            ? new ChecksumLockError(this.#table(this.#o.source), attempts, locks.policy.waitMs / 1000, { cause: err })
            : new ChecksumCatchUpError(this.#table(this.#o.source), attempts, { cause: err });
        }
        this.#o.log.debug(`checksum: snapshot attempt ${attempt}/${attempts} gave up (${err.message}); retrying`);
        await sleep(500 * attempt, signal);
      }
    }
  }

  /** One try: catch up, lock, the tail under the lock (bounded), snapshots, unlock. */
  async #attempt(stallMs: number): Promise<number> {
    const { signal, locks, replay, source, shadow } = this.#o;
    await replay.catchUp(this.#lock, { timeoutMs: locks.policy.waitMs, signal });
    await locks.lock({
      lock: this.#lock,
      control: this.#conns[0] ?? this.#lock,
      schema: this.#o.schema,
      tables: [{ name: source, mode: 'READ' }, { name: shadow, mode: 'WRITE' }],
      purpose: 'the checksum snapshots',
      signal,
      own: this.threadIds,
    });
    const lockedAt = performance.now();
    let failure: unknown;
    try {
      await replay.syncUnderLock(this.#lock, { timeoutMs: stallMs });
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
    const reads = [source, shadow].map((t) => `SELECT 1 FROM ${this.#table(t)} LIMIT 1`);
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
}
