/**
 * Why a chunk still differs after re-copying, for ChecksumMismatchError. The common cause: the
 * statement adds a UNIQUE index (the shadow has it, the source does not) over columns whose source
 * values repeat; INSERT IGNORE keeps one row per value and drops the others silently.
 */
import mysql from 'mysql2/promise';
import { queryRows, tableKey } from '../../plugin-api.ts';
import type { ColumnMapping, IndexInfo, Queryable, TableInfo } from '../../plugin-api.ts';

export interface Diagnosis {
  readonly cause: string;
  readonly fix: string;
}

const GENERIC: Diagnosis = {
  cause: 'the shadow rows still differ from the source after re-copying (a conversion the copy does not reproduce exactly, or something else writing to the shadow table)',
  fix: 'check the column types in the statement and that nothing else writes to the shadow table, then run again',
};

function isSubset(small: readonly string[], big: readonly string[]): boolean {
  return small.length > 0 && small.every((c) => big.includes(c));
}

/** UNIQUE indexes of the shadow whose columns (as source columns) are not already unique in the source. */
export function addedUniqueIndexes(source: TableInfo, shadow: TableInfo, mapping: ColumnMapping): Array<{ index: IndexInfo; columns: string[] }> {
  const sourceUnique = [source.primaryKey, ...source.indexes.filter((i) => i.unique).map((i) => i.columns)];
  const added: Array<{ index: IndexInfo; columns: string[] }> = [];
  for (const index of shadow.indexes) {
    if (!index.unique || index.name === tableKey(source).shadowIndex) continue;
    const columns = index.columns.map((c) => mapping.source[mapping.target.indexOf(c)]);
    if (columns.some((c) => c === undefined)) continue;
    const cols = columns as string[];
    if (sourceUnique.some((u) => isSubset(u, cols))) continue;
    added.push({ index, columns: cols });
  }
  return added;
}

export async function diagnoseMismatch(db: Queryable, source: TableInfo, shadow: TableInfo, mapping: ColumnMapping): Promise<Diagnosis> {
  for (const { index, columns } of addedUniqueIndexes(source, shadow, mapping)) {
    const cols = columns.map((c) => mysql.escapeId(c)).join(', ');
    const notNull = columns.map((c) => `${mysql.escapeId(c)} IS NOT NULL`).join(' AND ');
    const [dup] = await queryRows<{ n: unknown }>(
      db,
      `SELECT COUNT(*) AS n FROM ${mysql.escapeId(source.schema)}.${mysql.escapeId(source.name)} WHERE ${notNull} GROUP BY ${cols} HAVING COUNT(*) > 1 LIMIT 1`,
    );
    if (dup) {
      return {
        cause: `a UNIQUE index added on duplicate data: the source has rows sharing the same (${columns.join(', ')}) (e.g. ${String(dup.n)} rows share one value), and the new UNIQUE index ${mysql.escapeId(index.name)} keeps only one of them`,
        fix: 'remove the duplicates from the source or leave the UNIQUE index out of the statement, then run again',
      };
    }
  }
  return GENERIC;
}
