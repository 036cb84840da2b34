/** Pause while a file exists (like gh-ost's --throttle-flag-file): `touch` it to pause, remove it to resume. */
import { stat } from 'node:fs/promises';
import { NOT_THROTTLED, type ThrottleState, type Throttler } from './types.ts';

export function pauseFileThrottler(path: string): Throttler {
  return {
    name: 'pause-file',
    async check(): Promise<ThrottleState> {
      try {
        await stat(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NOT_THROTTLED;
        throw err; // unreadable (EACCES…): the composite pauses, fail closed
      }
      return { throttled: true, reason: `pause file ${path} exists: remove it to resume` };
    },
  };
}
