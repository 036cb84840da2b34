/**
 * Makes the shadow rows equal to the source rows for a batch of keys (keyed re-select with a
 * locking read, see README.md):
 *   1. SELECT pk FROM source WHERE pk IN (…) LOCK IN SHARE MODE   -- source rows locked first
 *   2. DELETE FROM shadow WHERE pk IN (…)
 *   3. REPLACE INTO shadow (target) SELECT source FROM source WHERE pk IN (…) LOCK IN SHARE MODE
 * holding the shadow gate exclusively when one is given (core/copier/shadow-gate.ts: copy and
 * replay never have transactions open on the shadow at once, so they cannot deadlock on its
 * AUTO-INC lock). A conflict halves the keys per transaction (BatchSizer, learned across flushes).
 * (REPLACE, not INSERT: with a UNIQUE index besides the PK, a shadow row of another key can still
 * hold the unique value this row now has — a stale row whose own change is pending — see README.md.)
 * In one transaction, retried on deadlock / lock wait timeout; or, under the cutover's
 * LOCK TABLES, as plain autocommit statements (START TRANSACTION would release the table locks).
 */
import mysql, { type ResultSetHeader } from 'mysql2/promise';
import type { KeyTuple } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import type { Queryable } from '../connection/connection.ts';
import { checkSourceUniques, type UniqueCheckPlan } from '../copier/unique-check.ts';
import { classifyWarnings, conversionError, readWarnings } from '../copier/warnings.ts';
import { selectExpressions } from '../shadow/mapping.ts';
import { keyColumns, keyPredicate, type KeyColumn } from './keys.ts';
import { tableKey } from '../table/key.ts';
import { ReplayFlushError } from './errors.ts';
import { isLockConflict, READ_COMMITTED_NEXT, type ShareLocking } from '../copier/locking.ts';
import { ConflictBackoff, LOCK_RETRY_POLICY } from '../copier/retry.ts';
import type { ShadowGate } from '../copier/shadow-gate.ts';
import { ChunkRetryExhaustedError, UniqueIndexViolationError } from '../copier/errors.ts';

/** What a flush needs of a connection: a pool connection or a dedicated one. */
export interface SqlRunner {
  query(sql: string, values?: unknown[]): Promise<unknown>;
}

export interface ApplyPlan extends UniqueCheckPlan {
  readonly sourceRef: string;
  readonly shadowRef: string;
  readonly shadowLabel: string;
  readonly keyColumns: readonly KeyColumn[];
  readonly sourceKeyRefs: readonly string[];
  readonly shadowKeyRefs: readonly string[];
  readonly selectList: string;
  readonly insertList: string;
  readonly gate: ShadowGate | undefined;
  /** Give a batch up after lock conflicts without progress for this long. */
  readonly conflictTimeoutMs: number;
  /** Keys per transaction under contention (mutable, shared by the flushes of one replayer). */
  readonly batch: BatchSizer;
  /** The server's NOWAIT / SKIP LOCKED clauses: replay then never waits for a row lock while holding one (null: blocking reads). */
  readonly locking: ShareLocking | null;
}

export interface ApplyTuning {
  gate?: ShadowGate;
  conflictTimeoutMs?: number;
  /** See ApplyPlan.locking (default null: blocking locking reads). */
  locking?: ShareLocking | null;
}

/** Replay gives a batch up sooner than the copier a chunk: its keys stay pending and the run keeps its checkpoint. */
export const REPLAY_CONFLICT_TIMEOUT_MS = 60_000;

const id = (name: string) => mysql.escapeId(name, true);

export function applyPlan(source: TableInfo, shadow: string, mapping: ColumnMapping, tuning: ApplyTuning = {}): ApplyPlan {
  const cols = keyColumns(source);
  // The shadow's key columns: the mapped names of the source key columns (key columns are never renamed).
  const shadowKey = cols.map((c) => {
    const at = mapping.source.indexOf(c.name);
    return at >= 0 ? mapping.target[at]! : c.name;
  });
  return {
    sourceRef: `${id(source.schema)}.${id(source.name)}`,
    shadowRef: `${id(source.schema)}.${id(shadow)}`,
    shadowLabel: `${id(source.schema)}.${id(shadow)}`,
    source,
    shadowName: shadow,
    mapping,
    keyColumns: cols,
    sourceKeyRefs: cols.map((c) => id(c.name)),
    shadowKeyRefs: shadowKey.map(id),
    selectList: selectExpressions(mapping).join(', '),
    insertList: mapping.target.map(id).join(', '),
    gate: tuning.gate,
    conflictTimeoutMs: tuning.conflictTimeoutMs ?? REPLAY_CONFLICT_TIMEOUT_MS,
    batch: new BatchSizer(),
    locking: tuning.locking ?? null,
  };
}

export function applyStatements(plan: ApplyPlan, keys: readonly KeyTuple[]): [lock: string, del: string, insert: string] {
  const onSource = keyPredicate(plan.sourceKeyRefs, plan.keyColumns, keys);
  const onShadow = keyPredicate(plan.shadowKeyRefs, plan.keyColumns, keys);
  return [
    `SELECT ${plan.sourceKeyRefs.join(', ')} FROM ${plan.sourceRef} WHERE ${onSource} LOCK IN SHARE MODE`,
    `DELETE FROM ${plan.shadowRef} WHERE ${onShadow}`,
    `REPLACE INTO ${plan.shadowRef} (${plan.insertList}) SELECT ${plan.selectList} FROM ${plan.sourceRef} WHERE ${onSource} LOCK IN SHARE MODE`,
  ];
}

/**
 * Runs the three statements of a batch, then holds the REPLACE to the copier's rule
 * (core/copier/warnings.ts): a lossy conversion, as a warning or as a strict-mode error, fails
 * with LossyConversionError. A REPLACE that deleted more rows than it inserted took a UNIQUE
 * value from another row: checkSourceUniques (core/copier/unique-check.ts) tells a stale row (harmless) from a duplicate in
 * the source (UniqueIndexViolationError).
 */
async function applyBatch(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<void> {
  const [lock, del, replace] = applyStatements(plan, keys);
  const [locked] = (await conn.query(lock)) as [unknown[]];
  await conn.query(del);
  await replaceChecked(conn, plan, replace, keys, locked.length);
}

/** The REPLACE … SELECT of a batch, held to the copier's rule; `present`: the source rows its locking reads found. */
async function replaceChecked(conn: SqlRunner, plan: ApplyPlan, replace: string, keys: readonly KeyTuple[], present: number): Promise<void> {
  let header: ResultSetHeader;
  try {
    [header] = (await conn.query(replace)) as [ResultSetHeader];
  } catch (err) {
    throw conversionError(err, plan.shadowLabel) ?? err;
  }
  const { secondary } = classifyWarnings(await readWarnings(conn as Queryable, header), plan.shadowLabel, tableKey(plan.source).shadowIndex);
  if (secondary.length > 0) throw new UniqueIndexViolationError(plan.shadowLabel, secondary[0]!.key, secondary[0]!.value);
  if (header.affectedRows > present) {
    const replayed = { sql: keyPredicate(plan.sourceKeyRefs, plan.keyColumns, keys), values: [] };
    await checkSourceUniques(conn as Queryable, plan, replayed, 'replay would delete another row holding it');
  }
}

/** The yielding batch's statements: `clause` is the locking clause of the source reads. */
function yieldingStatements(plan: ApplyPlan, keys: readonly KeyTuple[], clause: string): { read: string; del: string; replace: string } {
  const onSource = keyPredicate(plan.sourceKeyRefs, plan.keyColumns, keys);
  const onShadow = keyPredicate(plan.shadowKeyRefs, plan.keyColumns, keys);
  return {
    read: `SELECT ${plan.sourceKeyRefs.join(', ')} FROM ${plan.sourceRef} WHERE ${onSource} ${clause}`,
    del: `DELETE FROM ${plan.shadowRef} WHERE ${onShadow}`,
    replace: `REPLACE INTO ${plan.shadowRef} (${plan.insertList}) SELECT ${plan.selectList} FROM ${plan.sourceRef} WHERE ${onSource} ${plan.locking!.skipLocked}`,
  };
}

/** Identity of a key for set arithmetic between the keys asked for and the rows a read returned. */
function keyId(key: readonly unknown[]): string {
  return JSON.stringify(key.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v === null || v === undefined ? null : String(v))));
}

/**
 * One yielding batch (README.md, "Replay never waits holding a lock"), in one transaction (the
 * caller's), never waiting for a row lock:
 *  1. `SELECT pk … SKIP LOCKED`: S-locks every present row no other transaction holds;
 *  2. the keys it did not return are absent or held: `SELECT pk … NOWAIT` on them succeeds when
 *     none is held (absent rows then have no uncommitted writer either), else they are deferred;
 *  3. DELETE and REPLACE … SELECT … SKIP LOCKED for the keys not deferred: their present rows are
 *     ours already (S), and a row that appears since is an uncommitted insert whose own event comes later.
 * Returns the keys deferred (to retry after a backoff).
 */
async function applyYieldingBatch(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<KeyTuple[]> {
  const locking = plan.locking!;
  const [locked] = (await conn.query(yieldingStatements(plan, keys, locking.skipLocked).read)) as [Array<Record<string, unknown>>];
  const names = plan.keyColumns.map((c) => c.name);
  const got = new Set(locked.map((row) => keyId(names.map((n) => row[n]))));
  const rest = keys.filter((k) => !got.has(keyId(k)));
  let apply: readonly KeyTuple[] = keys;
  let deferred: KeyTuple[] = [];
  let present = locked.length;
  if (rest.length > 0) {
    try {
      const [appeared] = (await conn.query(yieldingStatements(plan, rest, locking.nowait).read)) as [unknown[]];
      present += appeared.length;
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      // Only the statement failed (its S locks on `locked` stay: InnoDB rolls back a lock wait statement, not the transaction).
      apply = keys.filter((k) => got.has(keyId(k)));
      deferred = rest;
    }
  }
  if (apply.length === 0) return deferred;
  const { del, replace } = yieldingStatements(plan, apply, locking.skipLocked);
  await conn.query(del);
  await replaceChecked(conn, plan, replace, apply, present);
  return deferred;
}

/** Under the cutover lock: autocommit statements on the lock's own connection, no transaction. */
export async function applyUnderLock(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<void> {
  await applyBatch(conn, plan, keys);
}

/** One batch in one transaction, holding the gate; returns the keys deferred (yielding mode only). */
async function applyOnce(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<KeyTuple[]> {
  const run = async () => {
    try {
      // READ COMMITTED: the locking reads take record locks only, no gap locks in front of the application's inserts.
      if (plan.locking) await conn.query(READ_COMMITTED_NEXT);
      await conn.query('START TRANSACTION');
      const deferred = plan.locking ? await applyYieldingBatch(conn, plan, keys) : (await applyBatch(conn, plan, keys), []);
      await conn.query('COMMIT');
      return deferred;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  return plan.gate ? plan.gate.exclusive(run) : run();
}

/** Keys a yielding batch deferred: held by another transaction (see applyYieldingBatch). */
class KeysHeldError extends Error {
  constructor(count: number) {
    super(`${count} key(s) held by another transaction`);
  }
}

/** Keys per replay transaction, learned across flushes: halved by each lock conflict, grown 1.5x by each success. */
export class BatchSizer {
  current = Number.POSITIVE_INFINITY;
  conflict(failed: number): void {
    this.current = Math.max(1, Math.floor(failed / 2));
  }
  success(done: number): void {
    if (Number.isFinite(this.current)) this.current = Math.min(100_000, Math.max(this.current, Math.ceil(done * 1.5)));
  }
}

function exhausted(plan: ApplyPlan, keys: number, attempts: number): (e: unknown) => never {
  return (e) => {
    throw e instanceof ChunkRetryExhaustedError ? new ReplayFlushError(plan.shadowLabel, keys, attempts, { cause: e.cause }) : e;
  };
}

function slices(keys: readonly KeyTuple[], size: number): Array<readonly KeyTuple[]> {
  const n = Number.isFinite(size) ? Math.max(1, Math.floor(size)) : keys.length;
  const out: Array<readonly KeyTuple[]> = [];
  for (let i = 0; i < keys.length; i += n) out.push(keys.slice(i, i + n));
  return out;
}

/**
 * Applies `keys` in transactions of `plan.batch.current` keys; a lock conflict rolls back, halves
 * the size (down to one key) and backs off;
 * gives up with ReplayFlushError after `plan.conflictTimeoutMs` without progress.
 */
export async function applyInTransaction(
  conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[], signal: AbortSignal = new AbortController().signal,
): Promise<void> {
  const backoff = new ConflictBackoff(`replay into ${plan.shadowLabel}`, { ...LOCK_RETRY_POLICY, timeoutMs: plan.conflictTimeoutMs }, signal);
  const todo = slices(keys, plan.batch.current);
  let attempts = 0;
  while (todo.length > 0) {
    const batch = todo[0]!;
    attempts++;
    try {
      const deferred = await applyOnce(conn, plan, batch);
      todo.shift();
      if (deferred.length < batch.length) {
        backoff.progress();
        plan.batch.success(batch.length - deferred.length);
      }
      if (deferred.length > 0) {
        // Held rows: retried after a short backoff (their holders commit or roll back within their transaction's time).
        todo.push(deferred);
        if (todo.length === 1) await backoff.conflict(new KeysHeldError(deferred.length)).catch(exhausted(plan, keys.length, attempts));
      }
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      if (batch.length > 1) {
        plan.batch.conflict(batch.length);
        todo.splice(0, 1, ...slices(batch, plan.batch.current));
      }
      await backoff.conflict(err).catch(exhausted(plan, keys.length, attempts));
    }
  }
}
