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

/**
 * Durable progress: everything needed to resume. The row counts of the copy:
 * `rowsCopied = rowsResumed + rowsWritten + rowsSkipped` (source rows the copy has covered: each is
 * in the shadow table now); `rowsEstimate` is the server's statistics, an estimate only.
 */
export interface ProgressSnapshot {
  readonly phase: string;
  /** Source rows the copy has covered, earlier runs included: each of them is in the shadow table. */
  readonly rowsCopied: number;
  /** Rows this run's copier wrote into the shadow table. */
  readonly rowsWritten: number;
  /** Rows this run's copier read but did not write: the shadow had them already (replay wrote them first, or an interrupted run after its last checkpoint). */
  readonly rowsSkipped: number;
  /** Rows earlier runs copied, at or below the point this run resumed from (0 when not resumed). */
  readonly rowsResumed: number;
  /** Rows copied at or below the low watermark, earlier runs included: what a resume from here counts as done (the checkpoint saves it). */
  readonly rowsBelowWatermark: number;
  /** Chunks this run's copier finished. */
  readonly chunks: number;
  /** The table's row count as the server's statistics estimate it (information_schema TABLE_ROWS): an estimate. */
  readonly rowsEstimate: number;
  /** Every row with pk <= lowWatermark is copied (null: nothing yet; 'done': all). */
  readonly lowWatermark: KeyTuple | null | 'done';
  /** Replay has applied every change before this position to the shadow table. */
  readonly binlog: BinlogPosition | null;
  /** Row events of the table replay received from the binlog (this run). */
  readonly replayedEvents: number;
  /** Why the copier is paused (absent: it is not). */
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
  /** The name the original table got at the swap (dropped afterwards unless `oldTable` is set). */
  readonly renamedTo: string;
  /** The old table's name while it is still there (kept with --keep-old-table, or its drop failed), else null (dropped). */
  readonly oldTable: string | null;
}

export interface MigrationResult {
  readonly schema: string;
  readonly table: string;
  /** 'native': the server did it in place (INSTANT/NOCOPY/INPLACE); 'copy': shadow table + cutover; 'dry-run': nothing changed, see `plan`. */
  readonly mode: 'native' | 'copy' | 'dry-run';
  readonly durationMs: number;
  /** The copy's counts at the end (ProgressSnapshot: rowsCopied = rowsResumed + rowsWritten + rowsSkipped). */
  readonly rowsCopied: number;
  readonly rowsWritten: number;
  readonly rowsSkipped: number;
  readonly rowsResumed: number;
  /** Chunks this run copied. */
  readonly chunks: number;
  /** Row events replay received from the binlog. */
  readonly replayEvents: number;
  /** Each phase this run went through and how long it took, in order. */
  readonly phases: readonly PhaseTime[];
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
  readonly key: { readonly columns: readonly string[]; readonly index: string; readonly chunking: 'integer range' | 'keyset' };
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

export interface PhaseTime {
  readonly phase: string;
  readonly ms: number;
}

export type LogLevel = 'debug' | 'info' | 'warn';

/** The live measures of a progress report (not saved: they are re-measured after a resume). */
export interface ProgressMeasures {
  /** Source rows the copy covers per second, over the last 30 s (null: not measured yet). */
  readonly rowsPerSecond: number | null;
  /** Seconds left for the copy at that rate against the estimate (null: unknown; 0 once copied). */
  readonly etaSeconds: number | null;
  /** rowsCopied of rowsEstimate, 0..100 (at most 99 until the copy is done; null: no estimate). */
  readonly percent: number | null;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** How far replay's applied position is behind the binlog head, in seconds (0: caught up; null: unknown). */
  readonly replayLagSeconds: number | null;
  /** Changed keys replay has received and not yet applied. */
  readonly pendingKeys: number;
}

/** Progress of a step inside a phase (the checksum's pass), reported by the plugin running it. */
export interface StepProgress {
  readonly step: string;
  readonly unit: 'rows';
  readonly done: number;
  /** An estimate unless `finished`. */
  readonly total: number;
  readonly finished: boolean;
  readonly perSecond: number | null;
  readonly etaSeconds: number | null;
  readonly percent: number | null;
}

/** An event as emitted; listeners receive it with its `time`. */
export type MigrationEventBody =
  | { readonly type: 'phase'; readonly phase: string; readonly state: 'start' | 'end'; readonly at: number }
  | ({ readonly type: 'progress'; readonly snapshot: ProgressSnapshot } & ProgressMeasures)
  | ({ readonly type: 'step' } & StepProgress)
  | { readonly type: 'log'; readonly level: LogLevel; readonly message: string }
  /** At start (after inspection): the key rows are copied, replayed, checksummed and resumed by (README, "Which key"). */
  | { readonly type: 'key'; readonly key: TableKey; readonly description: string }
  | { readonly type: 'done'; readonly result: MigrationResult }
  /** `name`: the error's class (e.g. ConnectFailedError); `code`: its stable code (SluiceError) or the driver's (ECONNREFUSED, ER_…). */
  | { readonly type: 'failed'; readonly error: string; readonly name: string; readonly code?: string }
  | { readonly type: 'cancelled'; readonly reason: string };

/** Every event carries `time`, when it was emitted (ISO 8601, UTC). */
export type MigrationEvent = MigrationEventBody & { readonly time: string };
