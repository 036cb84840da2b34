/**
 * One cutover attempt, on its own three sessions: A holds the table lock, B queues the RENAME,
 * C (control) watches the process list, kills and inspects. See README.md for why it is safe.
 *
 *   replay: waitFor(current position); flushPending (nothing locked; bounded by lock-wait-timeout)
 *   A: LOCK TABLES t WRITE, shadow WRITE          (core/blockers: blockers found and killed, bounded)
 *   A: binlog position; replay.waitFor (bounded by the stall bound); replay.flush(A); pending must be 0
 *   B: RENAME TABLE t TO <t>~old, <t>~new TO t    (queues on t: its first lock in sorted order)
 *   C: sees B "Waiting for table metadata lock"
 *   A: ALTER TABLE shadow RENAME TO <t>~new       (leaves t locked)
 *   A: DROP TRIGGER x; C: CREATE TRIGGER x ON <t>~new   (each trigger of t, read under the lock)
 *   replay.stop()                                  (point of no return)
 *   A: UNLOCK TABLES → B's RENAME runs before any queued write
 *
 * Before the point of no return any failure is undone (B's session killed, the shadow renamed
 * back, the lock released) and the attempt can be retried; after it, a failure either proves the
 * swap happened, proves it did not (CutoverFailedError: run again to resume), or neither
 * (CutoverStateUnknownError).
 */
import type { Connection } from 'mysql2/promise';
import { LockBlockedError } from '../blockers/errors.ts';
import { lockTables } from '../blockers/lock.ts';
import { currentBinlogPosition, openConnection, type Queryable } from '../connection/connection.ts';
import { SluiceError } from '../errors.ts';
import { asCancellation, throwIfAborted } from '../lifecycle/abort.ts';
import { CutoverFailedError, CutoverStateUnknownError } from './errors.ts';
import { killConnection } from '../blockers/kill.ts';
import { waitUntilGone, waitUntilQueuedOnTable } from './processlist.ts';
import { ER_TABLE_NOT_LOCKED, describeError, hasErrno, isConnectionError, isLockTimeout } from './sql-errors.ts';
import { inspectSwap, type SwapTables } from './swap-state.ts';
import { qualifiedName } from '../format.ts';
import { existingTables } from './tables.ts';
import { TriggerMove } from './triggers.ts';
import type { AttemptContext, CutoverLog, CutoverOptions } from './types.ts';

export type AttemptOutcome = { kind: 'swapped'; lockMs: number } | { kind: 'retry'; reason: string };

/** This attempt gave up for a reason worth another attempt; nothing has changed. */
class GiveUp extends Error {}

interface RenameResult {
  ok: boolean;
  err?: unknown;
  at: number;
}

/** How long a killed or disconnected session may take to leave the process list. */
const SESSION_GONE_MS = 10_000;

export class CutoverAttempt {
  private a?: Connection;
  private b?: Connection;
  private ctl?: Connection;
  private lockedAt = 0;
  private rename?: Promise<RenameResult>;
  private renameDone?: RenameResult;
  private shadowMoveTried = false;
  private stopTried = false;
  private readonly triggers: TriggerMove;

  constructor(
    private readonly opts: CutoverOptions,
    private readonly t: SwapTables,
    private readonly log: CutoverLog,
    private readonly ctx: AttemptContext,
  ) {
    this.triggers = new TriggerMove(t);
  }

  async run(): Promise<AttemptOutcome> {
    try {
      try {
        throwIfAborted(this.opts.signal);
        await this.open();
        await this.catchUpBeforeLock();
        await this.lock();
        await this.catchUp();
        await this.triggers.read(this.a!);
        await this.queueRename();
        await this.moveShadow();
        await this.moveTriggers();
        if (this.renameDone) throw new GiveUp(`the RENAME stopped waiting: ${describeError(this.renameDone.err)}`);
        throwIfAborted(this.opts.signal);
      } catch (err) {
        return await this.abandon(err);
      }
      return await this.commit();
    } finally {
      await this.closeAll();
    }
  }

  /** The bound on every wait under the lock (--lock-stall-timeout), seconds. */
  private get stallSeconds(): number {
    return this.ctx.policy.stallSeconds;
  }

  private async open(): Promise<void> {
    const { connection, session } = this.opts;
    this.ctl = await openConnection(connection, session);
    this.a = await openConnection(connection, session);
    this.b = await openConnection(connection, session);
  }

  private async lock(): Promise<void> {
    const { schema, table, shadow } = this.t;
    const { signal, ownSessions } = this.opts;
    const own = [this.a!, this.b!, this.ctl!].map((c) => c.threadId);
    const grant = await lockTables({
      lock: this.a!,
      control: this.ctl!,
      schema,
      tables: [{ name: table, mode: 'WRITE' }, { name: shadow, mode: 'WRITE' }],
      purpose: 'the cutover',
      signal,
      own: [...own, ...(ownSessions?.() ?? [])],
    }, this.ctx.policy, this.ctx.finder, this.log);
    this.lockedAt = performance.now();
    this.log.debug(`cutover: lock on ${table} and ${shadow} granted after ${Math.round(grant.waitedMs)} ms (${grant.retries} withdrawn, ${grant.killed.length} blocker(s) killed)`);
  }

  /** Replay reaches the current position and applies it through the pool while nothing is locked. */
  private async catchUpBeforeLock(): Promise<void> {
    const { replay, signal } = this.opts;
    if (!replay.flushPending) return;
    const pos = await currentBinlogPosition(this.ctl!);
    const waitMs = this.ctx.policy.waitMs;
    const deadline = AbortSignal.timeout(waitMs);
    try {
      await replay.waitFor(pos, AbortSignal.any([signal, deadline]));
    } catch (err) {
      if (!signal.aborted && deadline.aborted) throw new GiveUp(`replay did not reach ${pos.file}:${pos.position} within ${waitMs / 1000} s before locking`);
      throw err;
    }
    await replay.flushPending();
  }

  private async catchUp(): Promise<void> {
    const { replay, signal } = this.opts;
    const pos = await currentBinlogPosition(this.a!);
    const deadline = AbortSignal.timeout(this.stallSeconds * 1000);
    try {
      await replay.waitFor(pos, AbortSignal.any([signal, deadline]));
    } catch (err) {
      if (!signal.aborted && deadline.aborted) {
        throw new GiveUp(`replay did not reach ${pos.file}:${pos.position} within ${this.stallSeconds} s under the lock`);
      }
      throw err;
    }
    const applied = await replay.flush(this.a!, { underLock: true });
    if (replay.pending !== 0) throw new GiveUp(`${replay.pending} change(s) still pending after the flush under the lock`);
    this.log.debug(`cutover: replay caught up to ${pos.file}:${pos.position} (${applied} change(s) applied under the lock)`);
  }

  private async queueRename(): Promise<void> {
    const { schema, table, swap } = this.t;
    const b = this.b!;
    const sql = `RENAME TABLE ${qualifiedName(schema, table)} TO ${qualifiedName(schema, swap.old)}, ` +
      `${qualifiedName(schema, swap.shadow)} TO ${qualifiedName(schema, table)}`;
    const settle = (r: RenameResult) => (this.renameDone = r);
    this.rename = b.query(sql).then(
      () => settle({ ok: true, at: performance.now() }),
      (err: unknown) => settle({ ok: false, err, at: performance.now() }),
    );
    const budgetMs = Math.max(250, this.stallSeconds * 1000);
    const queued = await waitUntilQueuedOnTable(this.ctl!, b.threadId, () => this.renameDone !== undefined, budgetMs, this.opts.signal);
    if (!queued) {
      throw new GiveUp(this.renameDone
        ? `the RENAME failed before it was seen queued: ${describeError(this.renameDone.err)}`
        : `the RENAME was not seen queued on the table lock within ${budgetMs} ms`);
    }
  }

  private async moveShadow(): Promise<void> {
    const { schema, shadow, swap } = this.t;
    this.shadowMoveTried = true;
    await this.a!.query(`ALTER TABLE ${qualifiedName(schema, shadow)} RENAME TO ${qualifiedName(schema, swap.shadow)}`);
  }

  /** After the last flush, with the RENAME queued: the shadow has no trigger before this point. */
  private async moveTriggers(): Promise<void> {
    if (this.triggers.count === 0) return;
    await this.triggers.move(this.a!, this.ctl!);
    this.log.debug(`cutover: ${this.triggers.count} trigger(s) moved to ${this.t.swap.shadow}`);
  }

  /** Past the checks: stop replay, unlock, and let the queued RENAME run. */
  private async commit(): Promise<AttemptOutcome> {
    this.stopTried = true;
    try {
      await this.opts.replay.stop();
    } catch (err) {
      return await this.abandon(err);
    }
    if (this.renameDone && !this.renameDone.ok) return await this.abandon(new GiveUp(`the RENAME stopped waiting: ${describeError(this.renameDone.err)}`));
    try {
      await this.a!.query('UNLOCK TABLES');
    } catch (err) {
      // A lost session releases its locks too; anything else: closing it does.
      this.log.debug(`cutover: UNLOCK TABLES failed (${describeError(err)}); closing the lock session instead`);
      this.a!.destroy();
    }
    const r = await this.rename!;
    if (r.ok) return { kind: 'swapped', lockMs: r.at - this.lockedAt };
    return await this.afterFailedRename(r.err);
  }

  /** The RENAME reported an error after the unlock: find out from the tables what happened. */
  private async afterFailedRename(err: unknown): Promise<AttemptOutcome> {
    const b = this.b!;
    if (isConnectionError(err)) {
      const gone = await this.withControl((db) => waitUntilGone(db, b.threadId, SESSION_GONE_MS));
      if (!gone) throw new CutoverStateUnknownError(`the RENAME's session ${b.threadId} lost its connection but is still running`, { cause: err });
    }
    const { state, found } = await this.withControl((db) => inspectSwap(db, this.t));
    if (state === 'swapped') {
      await this.withControl((db) => this.triggers.completeOnSwapped(db, this.t.swap.old));
      this.log.warn(`cutover: the RENAME reported "${describeError(err)}" but the tables show it happened`);
      return { kind: 'swapped', lockMs: performance.now() - this.lockedAt };
    }
    if (state === 'not-swapped') {
      await this.withControl((db) => this.triggers.dropFromNew(db));
      await this.restoreShadow();
      await this.withControl((db) => this.triggers.restoreOnTable(db));
      throw new CutoverFailedError(`the RENAME failed after replay had stopped (${describeError(err)}); \`${this.t.table}\` is unchanged: run the migration again to resume`, { cause: err });
    }
    throw new CutoverStateUnknownError(`the RENAME failed (${describeError(err)}) and the tables found are ${found.join(', ') || 'none'}`, { cause: err });
  }

  /** Undo whatever this attempt did, then retry (returns) or fail (throws). */
  private async abandon(err: unknown): Promise<AttemptOutcome> {
    try {
      const swapped = await this.undo();
      if (swapped) return swapped;
    } catch (cleanupErr) {
      if (cleanupErr instanceof SluiceError) throw cleanupErr;
      throw new CutoverStateUnknownError(`undoing a failed attempt (${describeError(err)}) failed: ${describeError(cleanupErr)}`, { cause: cleanupErr });
    }
    const { signal } = this.opts;
    if (signal.aborted) throw asCancellation(signal.reason);
    if (this.stopTried) {
      throw new CutoverFailedError(`cutover failed after replay was stopped (${describeError(err)}); \`${this.t.table}\` is unchanged: run the migration again to resume`, { cause: err });
    }
    if (err instanceof GiveUp || err instanceof LockBlockedError) return { kind: 'retry', reason: err.message };
    if (isLockTimeout(err) || isConnectionError(err)) return { kind: 'retry', reason: describeError(err) };
    if (err instanceof SluiceError) throw err;
    throw new CutoverFailedError(`cutover failed: ${describeError(err)}; \`${this.t.table}\` is unchanged`, { cause: err });
  }

  /** Returns a swapped outcome if the queued RENAME ran after all (the lock session died). */
  private async undo(): Promise<AttemptOutcome | undefined> {
    if (this.rename) {
      const b = this.b!;
      if (!this.renameDone) {
        // Kill the whole session: a RENAME still in flight must never reach the server later.
        await this.withControl((db) => killConnection(db, b.threadId));
        await this.rename;
      }
      const r = this.renameDone!;
      // A statement that ended with a server error is over; a lost session may still be running it.
      if (!r.ok && isConnectionError(r.err) && !(await this.withControl((db) => waitUntilGone(db, b.threadId, SESSION_GONE_MS)))) {
        throw new CutoverStateUnknownError(`the RENAME's session ${b.threadId} could not be stopped`);
      }
      const { state, found } = await this.withControl((db) => inspectSwap(db, this.t));
      if (state === 'swapped') {
        // Only possible once A's lock was gone, which it never is before the catch-up is done.
        this.log.warn('cutover: the lock session ended while the RENAME was queued; the RENAME ran and the swap is complete');
        await this.withControl((db) => this.triggers.completeOnSwapped(db, this.t.swap.old));
        if (!this.stopTried) {
          this.stopTried = true;
          await this.opts.replay.stop().catch((e: unknown) => this.log.warn(`cutover: stopping replay after the swap: ${describeError(e)}`));
        }
        return { kind: 'swapped', lockMs: (this.renameDone?.at ?? performance.now()) - this.lockedAt };
      }
      if (state === 'unknown') throw new CutoverStateUnknownError(`an attempt failed after queueing the RENAME and the tables found are ${found.join(', ') || 'none'}`);
    }
    await this.withControl((db) => this.triggers.dropFromNew(db, this.a));
    if (this.shadowMoveTried) await this.restoreShadow();
    await this.restoreTriggers();
    if (this.a) {
      await this.a.query('UNLOCK TABLES').catch(() => this.a!.destroy());
    }
    return undefined;
  }

  /** Undo: the triggers dropped from `t` go back on it, by A while it holds `t` (else by C). */
  private async restoreTriggers(): Promise<void> {
    try {
      if (this.a) await this.triggers.restoreOnTable(this.a);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
    }
    await this.withControl((db) => this.triggers.restoreOnTable(db));
  }

  /** Renames `<t>~new` back to the shadow's name if the move happened; while A may still hold `t`. */
  private async restoreShadow(): Promise<void> {
    const { schema, shadow, swap } = this.t;
    const have = await this.withControl((db) => existingTables(db, schema, [shadow, swap.shadow]));
    if (have.has(shadow) && !have.has(swap.shadow)) return;
    if (!have.has(swap.shadow) || have.has(shadow)) {
      throw new CutoverStateUnknownError(`expected exactly one of \`${shadow}\` and \`${swap.shadow}\`, found ${[...have].join(', ') || 'neither'}`);
    }
    const from = qualifiedName(schema, swap.shadow);
    const to = qualifiedName(schema, shadow);
    try {
      // MySQL keeps a table renamed under LOCK TABLES locked by A; MariaDB drops it from A's set.
      await this.a!.query(`ALTER TABLE ${from} RENAME TO ${to}`);
    } catch (err) {
      if (!hasErrno(err, ER_TABLE_NOT_LOCKED) && !isConnectionError(err)) throw err;
      await this.withControl((db) => db.query(`RENAME TABLE ${from} TO ${to}`));
    }
    this.log.debug(`cutover: shadow renamed back to ${shadow}`);
  }

  /** Runs fn on the control session, reopening it once if it was lost. */
  private async withControl<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    if (this.ctl) {
      try {
        return await fn(this.ctl);
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        this.ctl.destroy();
      }
    }
    this.ctl = await openConnection(this.opts.connection, this.opts.session);
    return await fn(this.ctl);
  }

  private async closeAll(): Promise<void> {
    for (const c of [this.a, this.b, this.ctl]) {
      if (!c) continue;
      await c.end().catch(() => c.destroy());
    }
  }
}
