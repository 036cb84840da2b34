/** When the progress hook saves a checkpoint: the interval passed, the phase changed, or the copy just finished. */
import type { ProgressSnapshot } from '../../plugin-api.ts';

export interface LastWrite {
  readonly at: number;
  readonly phase: string;
  readonly done: boolean;
}

export function shouldWrite(last: LastWrite | undefined, snapshot: Pick<ProgressSnapshot, 'phase' | 'lowWatermark'>, now: number, intervalMs: number): boolean {
  if (!last) return true;
  if (snapshot.phase !== last.phase) return true;
  if (snapshot.lowWatermark === 'done' && !last.done) return true;
  return now - last.at >= intervalMs;
}
