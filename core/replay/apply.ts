/**
 * Makes the shadow rows equal to the source rows for a batch of keys (keyed re-select with a
 * locking read, see README.md):
 *   1. SELECT pk FROM source WHERE pk IN (…) LOCK IN SHARE MODE   -- source rows locked first
 *   2. DELETE FROM shadow WHERE pk IN (…)
 *   3. REPLACE INTO shadow (target) SELECT source FROM source WHERE pk IN (…) LOCK IN SHARE MODE
 * (REPLACE, not INSERT: with a UNIQUE index besides the PK, a shadow row of another key can still
 * hold the unique value this row now has — a stale row whose own change is pending — see README.md.)
 * In one transaction, retried on deadlock / lock wait timeout; or, under the cutover's
 * LOCK TABLES, as plain autocommit statements (START TRANSACTION would release the table locks).
 */
import mysql, { type ResultSetHeader } from 'mysql2/promise';
import type { KeyTuple } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import type { Queryable } from '../connection/connection.ts';
import { UniqueIndexViolationError } from '../copier/errors.ts';
import { checkSourceUniques, type UniqueCheckPlan } from '../copier/unique-check.ts';
import { classifyWarnings, conversionError, readWarnings } from '../copier/warnings.ts';
import { keyColumns, keyPredicate, type KeyColumn } from './keys.ts';
import { ReplayFlushError } from './errors.ts';
import { selectExpressions } from '../shadow/mapping.ts';

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
}

const id = (name: string) => mysql.escapeId(name, true);

export function applyPlan(source: TableInfo, shadow: string, mapping: ColumnMapping): ApplyPlan {
  const cols = keyColumns(source);
  // The shadow's key columns: the mapped names of the source key columns (the PK is never renamed).
  const shadowKey = cols.map((c) => {
    const at = mapping.source.indexOf(c.name);
    return at >= 0 ? mapping.target[at]! : c.name;
  });
  return {
    source,
    shadowName: shadow,
    mapping,
    sourceRef: `${id(source.schema)}.${id(source.name)}`,
    shadowRef: `${id(source.schema)}.${id(shadow)}`,
    shadowLabel: `${id(source.schema)}.${id(shadow)}`,
    keyColumns: cols,
    sourceKeyRefs: cols.map((c) => id(c.name)),
    shadowKeyRefs: shadowKey.map(id),
    selectList: selectExpressions(mapping).join(', '),
    insertList: mapping.target.map(id).join(', '),
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

const RETRYABLE = new Set([1213, 1205]); // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT
export const MAX_ATTEMPTS = 5;

function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/** One transaction per batch; deadlocks and lock wait timeouts roll back and retry with backoff. */
export async function applyInTransaction(conn: SqlRunner, plan: ApplyPlan, keys: readonly KeyTuple[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await conn.query('START TRANSACTION');
      await applyBatch(conn, plan, keys);
      await conn.query('COMMIT');
      return;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      const code = errno(err);
      if (code === undefined || !RETRYABLE.has(code)) throw err;
      if (attempt >= MAX_ATTEMPTS) throw new ReplayFlushError(plan.shadowLabel, keys.length, attempt, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt + Math.floor(Math.random() * 20)));
    }
  }
}
