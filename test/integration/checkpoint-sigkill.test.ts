/**
 * Issue 4, scenario 11: the `migrate` CLI, with the checkpoint plugin from a config file, killed
 * with SIGKILL at random points of the copy and of the replay before cutover, then rerun until it
 * completes; the data matches the mirror. Replay with SEED=<seed>.
 */
import { test } from 'node:test';
import { baseSeed } from '../support/random.ts';
import { sigkillRuns } from './checkpoint-scenarios.ts';

const seed = baseSeed();

for (const round of [0, 1]) {
  test(`11. SIGKILL three times, then complete (seed ${seed + round})`, async (t) => {
    const { phases } = await sigkillRuns(seed + round, 3);
    t.diagnostic(`killed during: ${phases.join(', ')}`);
  });
}
