/** Shapes shared by the engine, the plugins and callers. */

import type { TableKey } from './table/types.ts';

/** A key tuple, one value per key column (TableInfo.key, else the PK), in key order. */
export type KeyTuple = readonly unknown[];

export interface BinlogPosition {
  readonly file: string;
  readonly position: number;
  /** The server's GTID position at that point, where it has one (MariaDB `0-1-5`, MySQL uuid set). */
  readonly gtid?: string;
}

/** A chunk of the source table: rows with lower < pk <= upper (null = unbounded). */
export interface ChunkInfo {
  readonly index: number;
  readonly lower: KeyTuple | null;
  readonly upper: KeyTuple | null;
}

export interface ChunkDone extends ChunkInfo {
  readonly rows: number;
  readonly ms: number;
}

export interface CopyPlan {
  readonly rowsEstimate: number;
  readonly resumedFrom: KeyTuple | null;
  readonly threads: number;
}

/** Durable progress: everything needed to resume. */
export interface ProgressSnapshot {
  readonly phase: string;
  readonly rowsCopied: number;
  readonly rowsEstimate: number;
  /** Every row with pk <= lowWatermark is copied (null: nothing yet; 'done': all). */
  readonly lowWatermark: KeyTuple | null | 'done';
  /** Replay has applied every change before this position to the shadow table. */
  readonly binlog: BinlogPosition | null;
  readonly replayedEvents: number;
  readonly throttled?: string;
  /**
   * Set in phase `cut-over` only, reported once right after the RENAME and before any cleanup: the
   * tables are swapped and the original is now this table. The checkpoint plugin records it, so a
   * rerun of the same statement finishes the cleanup instead of altering the table again.
   */
  readonly oldTable?: string;
}

/** The phase a run is in once the tables are swapped (ProgressSnapshot.phase; the checkpoint's phase). */
export const CUT_OVER_PHASE = 'cut-over';

/** Where a resumed migration starts again. */
export interface ResumePoint {
  readonly lowWatermark: KeyTuple | null | 'done';
  readonly binlog: BinlogPosition;
  readonly rowsCopied: number;
  /**
   * An earlier run already swapped the tables (its checkpoint says phase `cut-over`): nothing is
   * copied or altered again; only the cleanup after the swap is finished. `oldTable` is where that
   * run left the original table.
   */
  readonly cutOver?: { readonly oldTable: string };
}

export interface CutoverResult {
  /** How long application writes to the table were blocked. */
  readonly lockMs: number;
  /** The old table's name while it is still there (kept with --keep-old-table, or its drop failed), else null (dropped). */
  readonly oldTable: string | null;
}

export interface MigrationResult {
  readonly schema: string;
  readonly table: string;
  /** 'native': the server did it in place (INSTANT/NOCOPY/INPLACE); 'copy': shadow table + cutover. */
  readonly mode: 'native' | 'copy';
  readonly durationMs: number;
  readonly rowsCopied: number;
  readonly resumed: boolean;
  readonly cutover: CutoverResult | null;
  /**
   * What failed after the tables were swapped (old-table cleanup, an afterCutover or onSuccess
   * hook): the migration itself succeeded. Empty when everything went well. While a cleanup step
   * is pending the checkpoint is kept (phase `cut-over`), and a rerun of the same statement
   * finishes it without altering the table again.
   */
  readonly warnings: readonly string[];
}

export type LogLevel = 'debug' | 'info' | 'warn';

export type MigrationEvent =
  | { readonly type: 'phase'; readonly phase: string; readonly state: 'start' | 'end'; readonly at: number }
  | { readonly type: 'progress'; readonly snapshot: ProgressSnapshot }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  /** At start (after inspection): the key rows are copied, replayed, checksummed and resumed by (README, "Which key"). */
  | { readonly type: 'key'; readonly key: TableKey; readonly description: string }
  | { readonly type: 'done'; readonly result: MigrationResult }
  | { readonly type: 'failed'; readonly error: string; readonly code?: string }
  | { readonly type: 'cancelled'; readonly reason: string };
