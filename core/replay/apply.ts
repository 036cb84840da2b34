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
import { withoutForeignKeyChecks } from '../connection/foreign-key-checks.ts';
import { checkSourceUniques, type UniqueCheckPlan } from '../copier/unique-check.ts';
import { classifyWarnings, conversionError, readWarnings } from '../copier/warnings.ts';
import { selectExpressions } from '../shadow/mapping.ts';
import { keyColumns, keyPredicate, type KeyColumn } from './keys.ts';
import { ReplayFlushError } from './errors.ts';
import { isLockConflict } from '../copier/locking.ts';
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
}

export interface ApplyTuning {
  gate?: ShadowGate;
  conflictTimeoutMs?: number;
}

/** Replay gives a batch up sooner than the copier a chunk: its keys stay pending and the run keeps its checkpoint. */
export const REPLAY_CONFLICT_TIMEOUT_MS = 60_000;

const id = (name: string) => mysql.escapeId(name, true);

export function applyPlan(source: TableInfo, shadow: string, mapping: ColumnMapping, tuning: ApplyTuning = {}): ApplyPlan {
  const cols = keyColumns(source);
  // The shadow's key columns: the mapped names of the source key columns (the PK is never renamed).
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
  await withoutForeignKeyChecks(conn as Queryable, () => applyStatementsOf(conn, plan, keys));
}

async function applyStatementsOf(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<void> {
  const [lock, del, replace] = applyStatements(plan, keys);
  const [locked] = (await conn.query(lock)) as [unknown[]];
  await conn.query(del);
  let header: ResultSetHeader;
  try {
    [header] = (await conn.query(replace)) as [ResultSetHeader];
  } catch (err) {
    throw conversionError(err, plan.shadowLabel) ?? err;
  }
  const { secondary } = classifyWarnings(await readWarnings(conn as Queryable, header), plan.shadowLabel);
  if (secondary.length > 0) throw new UniqueIndexViolationError(plan.shadowLabel, secondary[0]!.key, secondary[0]!.value);
  if (header.affectedRows > locked.length) {
    const replayed = { sql: keyPredicate(plan.sourceKeyRefs, plan.keyColumns, keys), values: [] };
    await checkSourceUniques(conn as Queryable, plan, replayed, 'replay would delete another row holding it');
  }
}

/** Under the cutover lock: autocommit statements on the lock's own connection, no transaction. */
export async function applyUnderLock(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<void> {
  await applyBatch(conn, plan, keys);
}

/** One batch in one transaction, holding the gate. */
async function applyOnce(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<void> {
  const run = async () => {
    try {
      await conn.query('START TRANSACTION');
      await applyBatch(conn, plan, keys);
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  await (plan.gate ? plan.gate.exclusive(run) : run());
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
      await applyOnce(conn, plan, batch);
      todo.shift();
      backoff.progress();
      plan.batch.success(batch.length);
    } catch (err) {
      if (!isLockConflict(err)) throw err;
      if (batch.length > 1) {
        plan.batch.conflict(batch.length);
        todo.splice(0, 1, ...slices(batch, plan.batch.current));
      }
      await backoff.conflict(err).catch((e: unknown) => {
        throw e instanceof ChunkRetryExhaustedError ? new ReplayFlushError(plan.shadowLabel, keys.length, attempts, { cause: err }) : e;
      });
    }
  }
}
