/** The engine's phases, in order (see core/runner/README.md). */
import type { Phase } from '../lifecycle/migration.ts';
import { connectPhase } from './connect.ts';
import { copyPhase } from './copy.ts';
import { cutoverPhase } from './cutover.ts';
import { indexesPhase } from './indexes.ts';
import { inspectPhase } from './inspect.ts';
import { nativePhase } from './native.ts';
import { preparePhase } from './prepare.ts';
import { verifyPhase, waitForCutoverPhase } from './verify.ts';

export const ENGINE_PHASES: readonly Phase[] = [
  connectPhase, inspectPhase, nativePhase, preparePhase, copyPhase, indexesPhase, verifyPhase, waitForCutoverPhase, cutoverPhase,
];
