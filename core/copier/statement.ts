/**
 * The chunk copy statement:
 *   INSERT IGNORE INTO shadow (target…) SELECT source… FROM t FORCE INDEX (PRIMARY)
 *   WHERE lower < pk <= upper LOCK IN SHARE MODE
 * The locking read waits for uncommitted writers and reads the latest committed rows (the
 * engine's correctness argument relies on it); IGNORE makes overlap with replay or a resumed
 * run harmless, and every other warning is checked after the statement.
 */
import mysql from 'mysql2/promise';
import type { ChunkInfo } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import { CopierSetupError } from './errors.ts';
import { columnList, keyRange, type SqlFragment } from './key-range.ts';
import type { UniqueCheckPlan } from './unique-check.ts';
import { selectExpressions } from '../shadow/mapping.ts';

export interface CopyStatementPlan {
  /** `schema`.`table` of the source, escaped. */
  readonly sourceTable: string;
  /** `schema`.`shadow`, escaped. */
  readonly shadowTable: string;
  /** Shadow table name, unescaped (for messages). */
  readonly shadowName: string;
  /** Source PK columns in key order. */
  readonly keyColumns: readonly string[];
  /** Everything before the WHERE clause. */
  readonly head: string;
  /** Escaped column lists of the INSERT (shadow) and of the SELECT (source). */
  readonly targetList: string;
  readonly sourceList: string;
  /** What a UNIQUE-index check needs (unique-check.ts). */
  readonly unique: UniqueCheckPlan;
}

export function planCopyStatement(source: TableInfo, shadow: string, mapping: ColumnMapping): CopyStatementPlan {
  if (source.primaryKey.length === 0) {
    throw new CopierSetupError(`${source.schema}.${source.name} has no primary key; add one before migrating it`);
  }
  if (mapping.source.length === 0 || mapping.source.length !== mapping.target.length) {
    throw new CopierSetupError(
      `the column mapping has ${mapping.source.length} source and ${mapping.target.length} target column(s); they must pair up one to one`,
    );
  }
  const sourceTable = `${mysql.escapeId(source.schema)}.${mysql.escapeId(source.name)}`;
  const shadowTable = `${mysql.escapeId(source.schema)}.${mysql.escapeId(shadow)}`;
  const head =
    `INSERT IGNORE INTO ${shadowTable} (${columnList(mapping.target)}) ` +
    `SELECT ${selectExpressions(mapping).join(', ')} FROM ${sourceTable} FORCE INDEX (PRIMARY)`;
  return {
    sourceTable, shadowTable, shadowName: shadow, keyColumns: [...source.primaryKey], head,
    targetList: columnList(mapping.target), sourceList: selectExpressions(mapping).join(', '),
    unique: { source, shadowName: shadow, mapping },
  };
}

/** The full statement for one chunk, with its placeholders' values. */
export function copyStatement(plan: CopyStatementPlan, chunk: Pick<ChunkInfo, 'lower' | 'upper'>): SqlFragment {
  const range = keyRange(plan.keyColumns, chunk.lower, chunk.upper);
  const where = range ? ` WHERE ${range.sql}` : '';
  return { sql: `${plan.head}${where} LOCK IN SHARE MODE`, values: range ? range.values : [] };
}
