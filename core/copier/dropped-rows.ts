/**
 * Rows a chunk's INSERT IGNORE skipped for a duplicate on a UNIQUE index other than the primary
 * key: the source rows of the chunk the shadow lacks. Either the shadow row holding the value is
 * stale (its source row changed since it was copied; replay re-applies it, since it is below the
 * high watermark) and the skipped rows are written with REPLACE, which removes the stale row; or
 * the source holds the value twice and the copy stops (UniqueIndexViolationError, unique-check.ts).
 * Runs in the chunk's transaction, with locking reads, so it sees the chunk's own inserts.
 */
import mysql, { type ResultSetHeader } from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import type { ChunkInfo } from '../types.ts';
import { keyRange, type SqlFragment } from './key-range.ts';
import type { CopyStatementPlan } from './statement.ts';
import { checkSourceUniques } from './unique-check.ts';
import { classifyWarnings, readWarnings } from './warnings.ts';
import { UniqueIndexViolationError } from './errors.ts';

/** `range AND NOT EXISTS (the same key in the shadow)`, over the source's unqualified columns. */
function missingFromShadow(plan: CopyStatementPlan, chunk: Pick<ChunkInfo, 'lower' | 'upper'>): SqlFragment {
  const range = keyRange(plan.keyColumns, chunk.lower, chunk.upper);
  const join = plan.keyColumns.map((c) => `d.${c.ref} = ${plan.sourceTable}.${c.ref}`).join(' AND ');
  return {
    sql: `${range ? `${range.sql} AND ` : ''}NOT EXISTS (SELECT 1 FROM ${plan.shadowTable} AS d WHERE ${join})`,
    values: range ? range.values : [],
  };
}

/** Writes the skipped rows of a chunk (returns how many), or throws when the source holds a unique value twice. */
export async function resolveSkippedRows(conn: Queryable, plan: CopyStatementPlan, chunk: Pick<ChunkInfo, 'lower' | 'upper'>): Promise<number> {
  const missing = missingFromShadow(plan, chunk);
  const [row] = await queryRows<{ n: unknown }>(conn, `SELECT COUNT(*) AS n FROM ${plan.sourceTable} WHERE ${missing.sql} LOCK IN SHARE MODE`, missing.values);
  if (Number(row?.n ?? 0) === 0) return 0;
  await checkSourceUniques(conn, plan.unique, missing, 'the copy would skip a row holding it');
  const [header] = await conn.query<ResultSetHeader>(
    `REPLACE INTO ${plan.shadowTable} (${plan.targetList}) SELECT ${plan.sourceList} FROM ${plan.sourceTable} WHERE ${missing.sql} LOCK IN SHARE MODE`,
    missing.values,
  );
  const { secondary } = classifyWarnings(await readWarnings(conn, header), plan.shadowName, plan.shadowKeyIndex);
  if (secondary.length > 0) throw new UniqueIndexViolationError(plan.shadowName, secondary[0]!.key, secondary[0]!.value);
  return Number(row?.n ?? 0);
}
