/**
 * The chunk's statements (see README.md for why they are race-free and deadlock-free):
 *   1. SELECT COUNT(*) FROM t FORCE INDEX (idx) WHERE lower < key <= upper LOCK IN SHARE MODE NOWAIT
 *   2. INSERT IGNORE INTO shadow (target…) SELECT source… FROM t FORCE INDEX (idx)
 *      WHERE lower < key <= upper LOCK IN SHARE MODE SKIP LOCKED
 * (idx: the key's index on the source, TableInfo.key; PRIMARY by default)
 * 1 locks every row of the range or fails at once (never waits for the application while holding
 * locks); 2 then reads the latest committed rows under those locks and skips only rows that
 * appeared since (replay carries them). Without NOWAIT/SKIP LOCKED (old servers) statement 2 is
 * a plain blocking `LOCK IN SHARE MODE` read and statement 1 is not run. IGNORE makes overlap
 * with replay or a resumed run harmless; every other warning is checked after the statement.
 */
import mysql from 'mysql2/promise';
import type { ChunkInfo } from '../types.ts';
import type { ColumnMapping, TableInfo } from '../table/types.ts';
import { CopierSetupError } from './errors.ts';
import type { ShareLocking } from './locking.ts';
import { columnList, keyRange, type SqlFragment } from './key-range.ts';
import { keyWalk, type KeyWalk } from './keyset-chunker.ts';
import { tableKey, type KeyPart } from '../table/key.ts';
import type { UniqueCheckPlan } from './unique-check.ts';
import { selectExpressions } from '../shadow/mapping.ts';

export interface CopyStatementPlan {
  /** `schema`.`table` of the source, escaped. */
  readonly sourceTable: string;
  /** `schema`.`shadow`, escaped. */
  readonly shadowTable: string;
  /** Shadow table name, unescaped (for messages). */
  readonly shadowName: string;
  /** The source's key columns in key order, as range predicates bind them. */
  readonly keyColumns: readonly KeyPart[];
  /** The index chunks walk (and FORCE INDEX names). */
  readonly walk: KeyWalk;
  /** The shadow's unique index over the key: a duplicate there is the same row (overlap with replay or a resumed run). */
  readonly shadowKeyIndex: string;
  /** Everything before the WHERE clause. */
  readonly head: string;
  /** Escaped column lists of the INSERT (shadow) and of the SELECT (source). */
  readonly targetList: string;
  readonly sourceList: string;
  /** What a UNIQUE-index check needs (unique-check.ts). */
  readonly unique: UniqueCheckPlan;
  /** NOWAIT / SKIP LOCKED clauses, or null for plain blocking locking reads. */
  readonly locking: ShareLocking | null;
}

export function planCopyStatement(source: TableInfo, shadow: string, mapping: ColumnMapping, locking: ShareLocking | null = null): CopyStatementPlan {
  const walk = keyWalk(source);
  if (walk.parts.length === 0) {
    throw new CopierSetupError(`${source.schema}.${source.name} has no key to copy by (no primary key, none chosen); add one before migrating it`);
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
    `SELECT ${selectExpressions(mapping).join(', ')} FROM ${sourceTable} FORCE INDEX (${mysql.escapeId(walk.index)})`;
  return {
    sourceTable, shadowTable, shadowName: shadow, keyColumns: walk.parts as KeyPart[], walk, shadowKeyIndex: tableKey(source).shadowIndex, head, locking,
    targetList: columnList(mapping.target), sourceList: selectExpressions(mapping).join(', '),
    unique: { source, shadowName: shadow, mapping },
  };
}

/** The copy statement for one chunk, with its placeholders' values. */
export function copyStatement(plan: CopyStatementPlan, chunk: Pick<ChunkInfo, 'lower' | 'upper'>): SqlFragment {
  const range = keyRange(plan.keyColumns, chunk.lower, chunk.upper);
  const where = range ? ` WHERE ${range.sql}` : '';
  return { sql: `${plan.head}${where} ${plan.locking?.skipLocked ?? 'LOCK IN SHARE MODE'}`, values: range ? range.values : [] };
}

/** The statement that locks the chunk's rows first, failing at once on a held row (null without NOWAIT). */
export function lockStatement(plan: CopyStatementPlan, chunk: Pick<ChunkInfo, 'lower' | 'upper'>): SqlFragment | null {
  if (!plan.locking) return null;
  const range = keyRange(plan.keyColumns, chunk.lower, chunk.upper);
  const where = range ? ` WHERE ${range.sql}` : '';
  return { sql: `SELECT COUNT(*) AS n FROM ${plan.sourceTable} FORCE INDEX (${mysql.escapeId(plan.walk.index)})${where} ${plan.locking.nowait}`, values: range ? range.values : [] };
}
