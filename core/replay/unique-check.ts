/**
 * Replay's REPLACE … SELECT deletes a shadow row of another key when the replayed row takes a value
 * of a UNIQUE index that row holds. That is harmless when the other row is stale (its own change is
 * pending: see README.md), and a lost row when the source itself holds the value twice (a new
 * UNIQUE index over duplicate data). When a REPLACE deleted more rows than it replayed, this looks
 * in the source, per UNIQUE index of the shadow, for another row with the same value of a replayed
 * row, compared as the shadow compares it (its charset and collation), and throws
 * UniqueIndexViolationError when there is one. Queries read only the source (one table reference
 * each, so they also run under the cutover's LOCK TABLES).
 */
import mysql from 'mysql2/promise';
import { queryRows, type Queryable } from '../connection/connection.ts';
import { UniqueIndexViolationError } from '../copier/errors.ts';
import { inspectTable } from '../table/inspect.ts';
import type { ColumnInfo, ColumnMapping, TableInfo } from '../table/types.ts';
import type { KeyTuple } from '../types.ts';
import { keyColumns, keyPredicate } from './keys.ts';

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

/** Throws UniqueIndexViolationError when a replayed row shares a UNIQUE value with another source row. */
export async function checkReplayedUniques(conn: Queryable, plan: UniqueCheckPlan, keys: readonly KeyTuple[]): Promise<void> {
  let info = shadowInfo.get(plan);
  if (!info) {
    info = inspectTable(conn, plan.source.schema, plan.shadowName);
    shadowInfo.set(plan, info);
    info.catch(() => shadowInfo.delete(plan));
  }
  const shadow = await info;
  const label = `${id(plan.source.schema)}.${id(plan.shadowName)}`;
  const onSource = keyPredicate(plan.source.primaryKey.map(id), keyColumns(plan.source), keys);
  for (const index of shadow.indexes) {
    if (!index.unique || index.name === 'PRIMARY') continue;
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
      `SELECT ${parts.map((p, i) => `${p.read} AS v${i}`).join(', ')} FROM ${sourceRef} WHERE ${onSource}`);
    const tuples = values.map((r) => parts.map((_, i) => r[`v${i}`])).filter((t) => t.every((v) => v !== null && v !== undefined));
    if (tuples.length === 0) continue;
    const lhs = parts.length === 1 ? parts[0]!.expr : `(${parts.map((p) => p.expr).join(', ')})`;
    const rhs = tuples.map((t) => (parts.length === 1 ? parts[0]!.param : `(${parts.map((p) => p.param).join(', ')})`));
    const [dup] = await queryRows(conn,
      `SELECT ${parts.map((p, i) => `${p.expr} AS v${i}`).join(', ')}, COUNT(*) AS n FROM ${sourceRef} WHERE ${lhs} IN (${rhs.join(', ')}) GROUP BY ${parts.map((_, i) => `v${i}`).join(', ')} HAVING COUNT(*) > 1 LIMIT 1`,
      tuples.flat());
    if (dup) {
      const value = parts.map((_, i) => String(dup[`v${i}`])).join('-');
      throw new UniqueIndexViolationError(label, index.name, value, 'replay would delete another row holding it');
    }
  }
}
