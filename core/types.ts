/** Shapes shared by the engine, the plugins and callers. */

/** A primary-key tuple, one value per PK column, in PK order. */
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
  /** 'native': the server did it in place (INSTANT/NOCOPY/INPLACE); 'copy': shadow table + cutover; 'dry-run': nothing changed, see `plan`. */
  readonly mode: 'native' | 'copy' | 'dry-run';
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
  /** The plan of a dry run (`dryRun: true`): what a real run would do. */
  readonly plan?: MigrationPlan;
}

/** What a real run would do, found out by a dry run without changing anything (core/runner/dry-run.ts). */
export interface MigrationPlan {
  readonly schema: string;
  readonly table: string;
  readonly statement: string;
  /**
   * How the table would be changed: by the server in place ('instant', 'nocopy', 'inplace'), by a
   * shadow copy and cutover ('copy'), or 'unknown' (the server could not be asked: `methodNote`).
   */
  readonly method: 'instant' | 'nocopy' | 'inplace' | 'copy' | 'unknown';
  readonly methodNote?: string;
  /** The shadow table a copy would create (null when the server does it in place). */
  readonly shadow: {
    readonly name: string;
    /** Its CREATE TABLE (null when no copy of the structure could be made without writing to the binlog). */
    readonly definition: string | null;
    /** Source columns whose data would not be carried, and new columns taking their defaults (null: not known). */
    readonly droppedColumns: readonly string[] | null;
    readonly addedColumns: readonly string[] | null;
  } | null;
  /** The key the copy walks and replay applies changes by, and how the copy is chunked. */
  readonly key: { readonly columns: readonly string[]; readonly chunking: 'integer range' | 'keyset' };
  readonly estimate: {
    /** The server's estimate of the rows (information_schema.TABLES.TABLE_ROWS): an estimate. */
    readonly rows: number;
    readonly dataBytes: number;
    readonly indexBytes: number;
    /** A short read of the first rows in key order: how many, and how long it took. */
    readonly sample: { readonly rows: number; readonly ms: number } | null;
    /**
     * Seconds to read every row at the sampled rate: an estimate of the copy, which also writes the
     * shadow and its indexes and may be throttled (expect more); null without a sample.
     */
    readonly copySeconds: number | null;
  };
  /** The plugins a real run would run, in order, with their settings (secrets masked). */
  readonly plugins: readonly { readonly name: string; readonly settings?: Readonly<Record<string, unknown>> }[];
  /** Tables an earlier run left (`_<t>_new`, `_<t>_chkpnt`): a real run resumes from them or drops them. */
  readonly leftovers: readonly string[];
}

export type LogLevel = 'debug' | 'info' | 'warn';

export type MigrationEvent =
  | { readonly type: 'phase'; readonly phase: string; readonly state: 'start' | 'end'; readonly at: number }
  | { readonly type: 'progress'; readonly snapshot: ProgressSnapshot }
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  | { readonly type: 'done'; readonly result: MigrationResult }
  | { readonly type: 'failed'; readonly error: string; readonly code?: string }
  | { readonly type: 'cancelled'; readonly reason: string };
