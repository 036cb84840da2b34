/**
 * Swaps the shadow table in for the original, atomically for the application, retrying with
 * backoff; the original ends under `oldName` (default `_<t>_old`). See attempt.ts and README.md.
 */
import { BlockerFinder } from '../blockers/find.ts';
import { resolveLockPolicy } from '../blockers/policy.ts';
import { openConnection, type Queryable } from '../connection/connection.ts';
import { InvalidOptionError } from '../errors.ts';
import { sleep, throwIfAborted } from '../lifecycle/abort.ts';
import { oldTableName } from '../table/names.ts';
import { CutoverAttempt } from './attempt.ts';
import { CutoverFailedError, OldTableExistsError, SwapTableExistsError } from './errors.ts';
import { swapTableNames } from './names.ts';
import { describeError } from './sql-errors.ts';
import type { SwapTables } from './swap-state.ts';
import { qualifiedName } from '../format.ts';
import { existingTables } from './tables.ts';
import type { CutoverLog, CutoverOptions, CutoverOutcome } from './types.ts';

export const DEFAULT_CUTOVER_ATTEMPTS = 5;

const quiet: CutoverLog = { info() {}, warn() {}, debug() {} };

/** Pause before attempt n+1: 0.5 s, 1 s, 2 s, 4 s, then 8 s. */
export const backoffMs = (failedAttempts: number): number => Math.min(8000, 500 * 2 ** (failedAttempts - 1));

export async function cutover(opts: CutoverOptions): Promise<CutoverOutcome> {
  const attempts = opts.attempts ?? DEFAULT_CUTOVER_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) throw new InvalidOptionError(`cutover attempts must be a whole number >= 1, got ${attempts}: fix the option`);
  const log = opts.log ?? quiet;
  const oldName = opts.oldName ?? oldTableName(opts.table);
  const tables: SwapTables = { schema: opts.schema, table: opts.table, shadow: opts.shadow, swap: swapTableNames(opts.table) };
  throwIfAborted(opts.signal);
  const finder = await withSession(opts, async (db) => {
    await precheck(db, tables, oldName);
    return await BlockerFinder.detect(db);
  });
  const policy = opts.locks ?? resolveLockPolicy({ lockWaitTimeout: opts.session.lockWaitTimeout });
  if (finder.hint && policy.killBlockers) log.info(`cutover: ${finder.hint}; until then a session counts as a blocker when its transaction is older than Sluice's wait for the lock`);

  let lastReason = '';
  for (let n = 1; n <= attempts; n++) {
    const outcome = await new CutoverAttempt(opts, tables, log, { policy, finder }).run();
    if (outcome.kind === 'swapped' && opts.dropSwap) {
      log.info(`cutover: \`${opts.table}\` drop-swapped in attempt ${n}; writes were blocked ${Math.round(outcome.lockMs)} ms; the original was dropped`);
      return { lockMs: outcome.lockMs, attempts: n, oldTable: oldName };
    }
    if (outcome.kind === 'swapped') {
      const oldTable = await nameOldTable(opts, tables, oldName, log);
      log.info(`cutover: \`${opts.table}\` swapped in attempt ${n}; writes were blocked ${Math.round(outcome.lockMs)} ms; the original is now \`${oldTable}\``);
      return { lockMs: outcome.lockMs, attempts: n, oldTable };
    }
    lastReason = outcome.reason;
    log.warn(`cutover: attempt ${n}/${attempts} gave up (${outcome.reason}); \`${opts.table}\` is unchanged`);
    if (n < attempts) await sleep(backoffMs(n), opts.signal);
  }
  throw new CutoverFailedError(`cutover gave up after ${attempts} attempts (last: ${lastReason}); \`${opts.table}\` is unchanged: end long transactions on it or raise lock-wait-timeout, then run again to resume`);
}

/** Refuses before touching anything: tables missing, or a name the swap needs already taken. */
async function precheck(db: Queryable, t: SwapTables, oldName: string): Promise<void> {
  const have = await existingTables(db, t.schema, [t.table, t.shadow, oldName, t.swap.shadow, t.swap.old]);
  for (const needed of [t.table, t.shadow]) {
    if (!have.has(needed)) throw new CutoverFailedError(`table \`${t.schema}\`.\`${needed}\` does not exist, so there is nothing to swap: run the migration again from the start`);
  }
  if (have.has(oldName)) throw new OldTableExistsError(t.schema, oldName);
  for (const leftover of [t.swap.shadow, t.swap.old]) {
    if (have.has(leftover)) throw new SwapTableExistsError(t.schema, leftover);
  }
}

/** The RENAME left the original under `<t>~old`; give it its final name (outside the lock). */
async function nameOldTable(opts: CutoverOptions, t: SwapTables, oldName: string, log: CutoverLog): Promise<string> {
  try {
    await withSession(opts, (db) => db.query(`RENAME TABLE ${qualifiedName(t.schema, t.swap.old)} TO ${qualifiedName(t.schema, oldName)}`));
    return oldName;
  } catch (err) {
    log.warn(`cutover: the original stays \`${t.swap.old}\`: renaming it to \`${oldName}\` failed (${describeError(err)})`);
    return t.swap.old;
  }
}

async function withSession<T>(opts: CutoverOptions, fn: (db: Queryable) => Promise<T>): Promise<T> {
  const db = await openConnection(opts.connection, opts.session);
  try {
    return await fn(db);
  } finally {
    await db.end().catch(() => db.destroy());
  }
}
