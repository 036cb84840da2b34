/**
 * checkTable: refusals that need the table's definition. Sluice swaps tables by RENAME (which
 * foreign keys would not follow), so it refuses a table with foreign keys (either side). Triggers
 * move with the cutover (core/triggers refuses those that cannot). The key to copy and replay by is
 * chosen by key-choice.ts.
 */
import type { ParsedAlter } from '../statement/types.ts';
import type { TableInfo } from '../table/types.ts';
import { ForeignKeyError } from './errors.ts';

export function checkTable(info: TableInfo, _parsed: ParsedAlter): void {
  if (info.foreignKeys.length > 0) throw new ForeignKeyError(info.schema, info.name, info.foreignKeys);
}
