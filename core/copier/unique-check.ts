/**
 * Does the source hold a value of a UNIQUE index of the shadow twice? Asked when a write to the
 * shadow met another row holding a unique value: the copier's INSERT IGNORE skipped a row, or
 * replay's REPLACE deleted one. That is harmless when the shadow row is stale (its source row has
 * changed since, and replay re-applies it), and rows lost when the source itself has the value
 * twice (a new UNIQUE index over duplicate data). For the given source rows, per UNIQUE index of
 * the shadow, this looks for another source row with the same value, compared as the shadow
 * compares it (its charset and collation), and throws UniqueIndexViolationError when there is one.
 * Every query names the source once, so it also runs under the cutover's LOCK TABLES.
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { inspectTable } from '../table/inspect.ts';
import type { ColumnInfo, ColumnMapping, TableInfo } from '../table/types.ts';
import { UniqueIndexViolationError } from './errors.ts';
import type { SqlFragment } from './key-range.ts';
import { tableKey } from '../table/key.ts';

export interface UniqueCheckPlan {
  readonly source: TableInfo;
  readonly shadowName: string;
  readonly mapping: ColumnMapping;
}

const TEXT = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set']);
const NAME = /^\w+$/;
const id = (name: string) => mysql.escapeId(name, true);

interface Part {
  /** The source column, as the shadow compares it. */
  readonly expr: string;
  /** What to select to read a value back exactly. */
  readonly read: string;
  /** The value read back, as the shadow compares it. */
  readonly param: string;
}

function part(from: ColumnInfo, to: ColumnInfo): Part {
  const col = id(from.name);
  if (TEXT.has(to.dataType) && to.charset && to.collation && NAME.test(to.charset) && NAME.test(to.collation)
    && from.charset && NAME.test(from.charset)) {
    const as = (e: string) => `CONVERT(${e} USING ${to.charset}) COLLATE ${to.collation}`;
    return { expr: as(col), read: `HEX(${col})`, param: as(`CAST(UNHEX(?) AS CHAR CHARACTER SET ${from.charset})`) };
  }
  return { expr: col, read: col, param: '?' };
}

const shadowInfo = new WeakMap<UniqueCheckPlan, Promise<TableInfo>>();

/**
 * Throws UniqueIndexViolationError when a source row matching `rows` (a condition on the source,
 * unqualified columns) shares a UNIQUE value of the shadow with another source row.
 */
export async function checkSourceUniques(conn: Queryable, plan: UniqueCheckPlan, rows: SqlFragment, why: string): Promise<void> {
  let info = shadowInfo.get(plan);
  if (!info) {
    info = inspectTable(conn, plan.source.schema, plan.shadowName);
    shadowInfo.set(plan, info);
    info.catch(() => shadowInfo.delete(plan));
  }
  const shadow = await info;
  const label = `${id(plan.source.schema)}.${id(plan.shadowName)}`;
  for (const index of shadow.indexes) {
    if (!index.unique || index.name === tableKey(plan.source).shadowIndex) continue;
    const parts: Part[] = [];
    for (const name of index.columns) {
      const at = plan.mapping.target.indexOf(name);
      const to = shadow.columns.find((c) => c.name === name);
      const from = at >= 0 ? plan.source.columns.find((c) => c.name === plan.mapping.source[at]) : undefined;
      // A column the source does not have (added by the ALTER): the copier's check covers it.
      if (!to || !from) break;
      parts.push(part(from, to));
    }
    if (parts.length !== index.columns.length) continue;
    const sourceRef = `${id(plan.source.schema)}.${id(plan.source.name)}`;
    const values = await queryRows(conn,
      `SELECT ${parts.map((p, i) => `${p.read} AS v${i}`).join(', ')} FROM ${sourceRef} WHERE ${rows.sql}`, rows.values);
    const tuples = values.map((r) => parts.map((_, i) => r[`v${i}`])).filter((t) => t.every((v) => v !== null && v !== undefined));
    if (tuples.length === 0) continue;
    const lhs = parts.length === 1 ? parts[0]!.expr : `(${parts.map((p) => p.expr).join(', ')})`;
    const rhs = tuples.map((t) => (parts.length === 1 ? parts[0]!.param : `(${parts.map((p) => p.param).join(', ')})`));
    const [dup] = await queryRows(conn,
      `SELECT ${parts.map((p, i) => `${p.expr} AS v${i}`).join(', ')}, COUNT(*) AS n FROM ${sourceRef} WHERE ${lhs} IN (${rhs.join(', ')}) GROUP BY ${parts.map((_, i) => `v${i}`).join(', ')} HAVING COUNT(*) > 1 LIMIT 1`,
      tuples.flat());
    if (dup) {
      const value = parts.map((_, i) => String(dup[`v${i}`])).join('-');
      throw new UniqueIndexViolationError(label, index.name, value, why);
    }
  }
}
