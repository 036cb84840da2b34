/** The slices of zongji's table-map and row events replay reads, and the keys they carry. */
import type { KeyTuple } from '../types.ts';
import type { TableInfo } from '../table/types.ts';
import type { StreamEvent } from './boundaries.ts';
import { keyOfRow, type KeyColumn } from './keys.ts';

export interface RowsEvent extends StreamEvent {
  readonly tableId: number;
  readonly tableMap: Record<number, { parentSchema: string; tableName: string } | undefined>;
  readonly rows: Array<Record<string, unknown> | { before: Record<string, unknown>; after: Record<string, unknown> }>;
}

export interface TableMapEvent extends StreamEvent {
  readonly tableId: number;
  readonly tableMap: Record<number, { parentSchema: string; tableName: string; columns?: Array<{ name: string; charset: string | null }> } | undefined>;
}

/**
 * zongji decodes text with iconv, lossily for some charsets (see keys.ts). It decodes each row
 * with the table map's `columns[i].charset`, and parses the rows only after this event was
 * emitted: for key columns in a charset other than UTF-8, ask for 'binary' (one character per
 * byte), which keyOfRow turns back into the stored bytes.
 */
export function keepKeyBytes(evt: TableMapEvent, source: TableInfo, keyColumns: readonly KeyColumn[]): void {
  const entry = evt.tableMap[evt.tableId];
  if (!entry || entry.parentSchema !== source.schema || entry.tableName !== source.name) return;
  const raw = new Set(keyColumns.filter((c) => c.rawBytes).map((c) => c.name.toLowerCase()));
  if (raw.size === 0) return;
  for (const column of entry.columns ?? []) if (raw.has(column.name.toLowerCase())) column.charset = 'binary';
}

/**
 * The keys a row event of the source touches (an update: before and after images), in order;
 * `undefined` for an image without the key columns; null when the event is another table's.
 */
export function rowEventKeys(evt: RowsEvent, isUpdate: boolean, source: TableInfo, keyColumns: readonly KeyColumn[]): Array<KeyTuple | undefined> | null {
  const table = evt.tableMap[evt.tableId];
  if (table && (table.parentSchema !== source.schema || table.tableName !== source.name)) return null;
  const keys: Array<KeyTuple | undefined> = [];
  for (const row of evt.rows) {
    const images = isUpdate
      ? [(row as { before: Record<string, unknown> }).before, (row as { after: Record<string, unknown> }).after]
      : [row as Record<string, unknown>];
    for (const image of images) keys.push(keyOfRow(image, keyColumns) ?? undefined);
  }
  return keys;
}
