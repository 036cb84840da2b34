/** The state the phases of one run share (private to core; plugins see it through core/tokens.ts). */
import { token } from '../container/tokens.ts';
import type { Copier } from '../copier/copier.ts';
import type { ShadowGate } from '../copier/shadow-gate.ts';
import type { BinlogReplayer } from '../replay/replayer.ts';
import type { DeferredIndex } from '../shadow/deferred-indexes.ts';
import type { CutoverResult, KeyTuple, ProgressSnapshot, ResumePoint } from '../types.ts';

export class RunState {
  readonly startedAt = Date.now();
  phase = 'setup';
  resumed = false;
  /** What the `resume` hook answered (asked once, at the end of inspect; undefined: start fresh). */
  resumePoint: ResumePoint | undefined;
  /** Rows already copied by earlier runs (from the resume point). */
  rowsCopiedBefore = 0;
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
  /** The statement's plain secondary indexes, from the probe (null: no probe); a resume compares the shadow with them. */
  probeIndexes: readonly DeferredIndex[] | null = null;
  /** Secondary indexes the shadow still lacks: built by phase `indexes` after the copy. */
  deferredIndexes: readonly DeferredIndex[] = [];
  throttled: string | undefined;
  cutover: CutoverResult | null = null;

  snapshot(): ProgressSnapshot {
    const copier = this.copier;
    return {
      phase: this.phase,
      rowsCopied: this.rowsCopiedBefore + (copier?.rowsCopied ?? 0),
      rowsEstimate: this.rowsEstimate,
      lowWatermark: this.copyDone ? 'done' : (copier?.lowWatermark ?? this.resumeLowWatermark),
      binlog: this.replayer?.applied ?? null,
      replayedEvents: this.replayer?.eventsReceived ?? 0,
      ...(this.throttled ? { throttled: this.throttled } : {}),
    };
  }
}

export const RunStateToken = token<RunState>('run-state');
