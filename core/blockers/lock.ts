/**
 * lockTables(): LOCK TABLES that never sits long in front of the application's queries, and
 * that kills the sessions keeping it out (see README.md for the algorithm and its bounds).
 */
import { qualifiedName } from '../format.ts';
import { asCancellation, sleep, throwIfAborted } from '../lifecycle/abort.ts';
import { describeBlocker } from './describe.ts';
import { LockBlockedError } from './errors.ts';
import type { BlockerFinder } from './find.ts';
import { killConnection } from './kill.ts';
import type { Blocker, LockGrant, LockLog, LockPolicy, TableLockRequest } from './types.ts';

/** A holder this old (or older) is a blocker: Sluice does not queue its lock behind it. */
export const LONG_HOLDER_MS = 500;
/** How often holders are looked at while Sluice waits for them. */
export const POLL_MS = 100;
/** A transaction that changed more rows than this is not killed: its rollback would hold the lock longer. */
export const MAX_VICTIM_ROWS = 100_000;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_PARSE_ERROR = 1064;
/** "You are not owner of thread": killing another user's session needs CONNECTION ADMIN or SUPER. */
const ER_KILL_DENIED = 1095;

function lockStatement(r: TableLockRequest): string {
  return `LOCK TABLES ${r.tables.map((t) => `${qualifiedName(r.schema, t.name)} ${t.mode}`).join(', ')}`;
}

/**
 * Takes `LOCK TABLES` on `r.lock`. Before each try it looks (on `r.control`) for sessions holding
 * the tables' metadata locks; while one has held it LONG_HOLDER_MS or more (or is seen again in
 * the same hold on the next look, POLL_MS later), the lock is not
 * requested at all (the application is not queued behind a pending request); once Sluice has waited
 * `killAfterMs` and the holder has held that long, it is killed (policy.killBlockers). Each LOCK
 * TABLES waits at most `stallSeconds` (then it is retried); the whole acquisition at most
 * `waitMs`, then LockBlockedError. Abort kills a waiting LOCK TABLES (from `r.control`) and waits
 * for it to end.
 */
export async function lockTables(r: TableLockRequest, policy: LockPolicy, finder: BlockerFinder, log: LockLog): Promise<LockGrant> {
  const started = performance.now();
  const deadline = started + policy.waitMs;
  const own = new Set<number>([...(r.own ?? []), r.lock.threadId!]);
  const names = r.tables.map((t) => t.name);
  const killed = new Map<number, Blocker>();
  const spared = new Set<number>();
  const seen = new Map<number, number>();
  let retries = 0;
  let polls = 0;
  let last: Blocker[] = [];
  const sql = lockStatement(r);
  // Without an MDL view: `LOCK TABLES … NOWAIT` (MariaDB) probes the tables without queueing in
  // front of anyone. Granted: done. Failing every time for LONG_HOLDER_MS: someone holds them
  // continuously, and an idle transaction open since before then is the suspect (below).
  let probe = !finder.exact;
  let heldSince: number | undefined;
  for (;;) {
    throwIfAborted(r.signal);
    const waited = performance.now() - started;
    const holders = (await finder.holders(r.control, r.schema, names)).filter((b) => !own.has(b.id));
    polls++;
    // Without an MDL view every open transaction is a suspect, but only once a LOCK TABLES timed
    // out, and only a transaction older than the time Sluice has been trying.
    // With a view: a holder is a blocker once it is old, or seen a second time in the same hold
    // (an idle transaction opened a moment ago looks young on the first look). "Same hold": its age
    // grew. Where ages have whole-second resolution (MySQL: transaction age) a young hold does not
    // grow between two looks, so there it counts only from LONG_HOLDER_MS on: busy sessions running
    // back-to-back short transactions never look like one long hold.
    const blockers = finder.exact
      ? holders.filter((b) => b.ageMs >= LONG_HOLDER_MS || (seen.get(b.id) ?? Infinity) < b.ageMs)
      : holders.filter((b) => (retries > 0 && b.ageMs + 1000 >= waited) || heldBy(b, heldSince));
    seen.clear();
    for (const b of holders) seen.set(b.id, b.ageMs);
    if (blockers.length > 0) last = blockers;
    if (policy.killBlockers && waited >= policy.killAfterMs) {
      let any = false;
      for (const b of blockers) {
        if (b.ageMs < policy.killAfterMs || killed.has(b.id)) continue;
        if (b.rowsModified > MAX_VICTIM_ROWS) {
          if (!spared.has(b.id)) log.warn(`not killing ${describeBlocker(b)}: rolling back its changes would hold the lock longer than waiting`);
          spared.add(b.id);
          continue;
        }
        try {
          await killConnection(r.control, b.id);
        } catch (err) {
          if ((err as { errno?: number }).errno !== ER_KILL_DENIED) throw err;
          log.warn(`cannot kill ${describeBlocker(b)}: Sluice's user may not (grant it CONNECTION ADMIN or SUPER), waiting for it instead`);
          spared.add(b.id);
          killed.set(b.id, b); // never tried again
          continue;
        }
        killed.set(b.id, b);
        any = true;
        log.warn(`killed ${describeBlocker(b)}: it kept ${qualifiedName(r.schema, names[0]!)} from being locked for ${r.purpose} (--no-kill-blockers turns this off)`);
      }
      if (any) continue;
    }
    const now = performance.now();
    if (probe && !finder.exact && now < deadline) {
      const granted = await nowaitLock(r, sql).catch((err: unknown) => {
        if ((err as { errno?: number }).errno !== ER_PARSE_ERROR) throw err;
        probe = false; // MySQL: no NOWAIT on LOCK TABLES
        return false;
      });
      if (granted) return { waitedMs: performance.now() - started, killed: [...killed.values()].filter((b) => !spared.has(b.id)), retries };
      if (probe) heldSince ??= now;
    }
    // Exact view: queue only behind young holders (they are about to finish), never on the first look
    // if anyone holds the tables (an idle transaction looks young the first time).
    // Without a view: not behind a suspect held for a blocker (a queued request would stall the application behind it).
    const probing = probe && heldSince !== undefined && now - heldSince < LONG_HOLDER_MS;
    const wait = finder.exact
      ? blockers.length > 0 || (holders.length > 0 && polls === 1)
      : probing || holders.some((b) => heldBy(b, heldSince));
    if (now >= deadline || (wait && now + POLL_MS >= deadline)) {
      throw new LockBlockedError(r.schema, names, policy.waitMs, last.length > 0 ? last : holders, policy.killBlockers);
    }
    if (wait) {
      await sleep(POLL_MS, r.signal);
      continue;
    }
    const bound = Math.max(1, Math.min(policy.stallSeconds, Math.ceil((deadline - now) / 1000)));
    try {
      await r.lock.query(`SET SESSION lock_wait_timeout = ${bound}`);
      await killableLock(r, sql);
    } catch (err) {
      if ((err as { errno?: number }).errno !== ER_LOCK_WAIT_TIMEOUT) throw err;
      retries++;
      log.debug(`${r.purpose}: LOCK TABLES waited ${bound} s and was withdrawn (attempt ${retries}); looking for blockers again`);
      await sleep(Math.min(POLL_MS * 2 ** Math.min(retries, 4), 1000), r.signal);
      continue;
    } finally {
      await r.lock.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(policy.sessionLockWaitSeconds))}`).catch(() => undefined);
    }
    return { waitedMs: performance.now() - started, killed: [...killed.values()].filter((b) => !spared.has(b.id)), retries };
  }
}

/**
 * Without an MDL view: a suspect counts as a blocker once every NOWAIT probe (POLL_MS apart) has
 * found the tables held for LONG_HOLDER_MS, and it has idled in a transaction open since before.
 */
function heldBy(b: Blocker, heldSince: number | undefined): boolean {
  if (heldSince === undefined) return false;
  const held = performance.now() - heldSince;
  return held >= LONG_HOLDER_MS && b.ageMs + 1000 >= held && b.command === 'Sleep'; // ages in whole seconds (INNODB_TRX)
}

/** `LOCK TABLES … NOWAIT`: true when granted, false when a holder refused it at once (1205). */
async function nowaitLock(r: TableLockRequest, sql: string): Promise<boolean> {
  try {
    await r.lock.query(`${sql} NOWAIT`);
    return true;
  } catch (err) {
    if ((err as { errno?: number }).errno === ER_LOCK_WAIT_TIMEOUT) return false;
    throw err;
  }
}

/** Runs LOCK TABLES; on abort kills it (through the control session), waits for it, and unlocks. */
async function killableLock(r: TableLockRequest, sql: string): Promise<void> {
  let kill: Promise<unknown> | undefined;
  const onAbort = () => {
    kill = r.control.query('KILL QUERY ?', [r.lock.threadId]).catch(() => undefined);
  };
  r.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await r.lock.query(sql);
  } catch (err) {
    if (r.signal.aborted) throw asCancellationWithCause(r.signal, err);
    throw err;
  } finally {
    r.signal.removeEventListener('abort', onAbort);
    await kill;
  }
  if (r.signal.aborted) {
    await r.lock.query('UNLOCK TABLES').catch(() => undefined);
    throwIfAborted(r.signal);
  }
}

function asCancellationWithCause(signal: AbortSignal, cause: unknown): Error {
  const cancelled = asCancellation(signal.reason);
  if (cancelled.cause === undefined) Object.defineProperty(cancelled, 'cause', { value: cause });
  return cancelled;
}
