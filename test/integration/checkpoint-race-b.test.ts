/**
 * Issue 4, scenario 9 (part b of 2): dispose at a random moment (a random time, or inside a
 * random event), then a second migration of the same table: it resumes whenever a checkpoint was
 * left (strict: never a silent fresh start), and the data matches the mirror. 30 seeds here and
 * 30 in the other part (two files keep each file's runtime short); more in scripts/stress-resume.ts.
 * Replay with SEED=<base seed>.
 */
import { baseSeed } from '../support/random.ts';
import { teardownRaceTests } from './checkpoint-scenarios.ts';

teardownRaceTests(baseSeed() + 100_000, 30);
