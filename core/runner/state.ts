/** The state the phases of one run share (private to core; plugins see it through core/tokens.ts). */
import { token } from '../container/tokens.ts';
import type { MigrationControl } from '../control/control.ts';
import type { Copier } from '../copier/copier.ts';
import type { ShadowGate } from '../copier/shadow-gate.ts';
import { NO_FOREIGN_KEYS, type ForeignKeyPlan } from '../preflight/foreign-keys.ts';
import type { BinlogReplayer } from '../replay/replayer.ts';
import { ProgressMeter } from './progress.ts';
import type { DeferredIndex } from '../shadow/deferred-indexes.ts';
import type { CutoverResult, KeyTuple, ProgressSnapshot, ResumePoint } from '../types.ts';

export class RunState {
  readonly startedAt = Date.now();

  constructor(copy: { threads: number; targetChunkMs: number }) {
    this.threads = copy.threads;
    this.targetChunkMs = copy.targetChunkMs;
  }

  phase = 'setup';
  resumed = false;
  /** What the `resume` hook answered (asked once, at the end of inspect; undefined: start fresh). */
  resumePoint: ResumePoint | undefined;
  /** Rows copied by earlier runs, at or below the resume point (from the checkpoint). */
  rowsCopiedBefore = 0;
  /**
   * Rows at or below the low watermark when the current copier started: rowsCopiedBefore, plus
   * what an earlier copier of this run covered before a lost server (see copy.ts, continueCopy).
   */
  rowsBelowStart = 0;
  /** Rows written / read / chunks of this run's earlier copiers (before a lost server). */
  retired = { written: 0, read: 0, chunks: 0 };
  rowsEstimate = 0;
  /** Built in `prepare`, before replay starts, so replay's skip decisions see it from the first event. */
  copier: Copier | undefined;
  /** Stops the copier when a loop beside it fails (the run's own signal stops it on cancellation); one per copier. */
  stopCopy = new AbortController();
  replayer: BinlogReplayer | undefined;
  /** Keeps copy and replay transactions apart on a shadow with AUTO_INCREMENT (core/copier/shadow-gate.ts); shared by every copier of the run. */
  shadowGate: ShadowGate | undefined;
  /** On resume: copy rows above this key only. */
  resumeLowWatermark: KeyTuple | null = null;
  /** On resume: the highest key the shadow table already held; replay must never skip keys at or below it. */
  shadowMaxKey: KeyTuple | null = null;
  copyDone = false;
  /** What happens to foreign keys (decided in inspect, core/preflight/foreign-keys.ts). */
  foreignKeys: ForeignKeyPlan = NO_FOREIGN_KEYS;
  /** Copy workers and chunk time target now: the options' at start, an operator's since (runner/control.ts). */
  threads: number;
  targetChunkMs: number;
  /** The cutover may go without waiting for the sentinel (a `cutover` control command). */
  cutoverReleased = false;
  /** Waiting for the sentinel to go (wait-for-cutover phase). */
  cutoverWaiting = false;
  /** The statement's plain secondary indexes, from the probe (null: no probe); a resume compares the shadow with them. */
  probeIndexes: readonly DeferredIndex[] | null = null;
  /** Secondary indexes the shadow still lacks: built by phase `indexes` after the copy. */
  deferredIndexes: readonly DeferredIndex[] = [];
  throttled: string | undefined;
  cutover: CutoverResult | null = null;
  /** Rate, ETA and replay lag of the progress reports. */
  readonly meter = new ProgressMeter();

  snapshot(): ProgressSnapshot {
    const copier = this.copier;
    const written = this.retired.written + (copier?.rowsCopied ?? 0);
    const read = this.retired.read + (copier?.rowsRead ?? 0);
    const below = this.rowsBelowStart + (copier?.rowsBelowWatermark ?? 0);
    return {
      phase: this.phase,
      rowsCopied: this.rowsBelowStart + (copier?.rowsRead ?? 0),
      rowsWritten: written,
      rowsSkipped: Math.max(0, read - written),
      rowsResumed: this.rowsCopiedBefore,
      rowsBelowWatermark: below,
      chunks: this.retired.chunks + (copier?.chunks ?? 0),
      rowsEstimate: this.rowsEstimate,
      lowWatermark: this.copyDone ? 'done' : (copier?.lowWatermark ?? this.resumeLowWatermark),
      binlog: this.replayer?.applied ?? null,
      replayedEvents: this.replayer?.eventsReceived ?? 0,
      ...(this.throttled ? { throttled: this.throttled } : {}),
    };
  }
}

export const RunStateToken = token<RunState>('run-state');
/** The migration's control API (the endpoint opens on it at the end of inspect). */
export const ControlToken = token<MigrationControl>('control-api');
