/**
 * Issue 4, scenario 9 (part a of 2): dispose at a random moment (a random time, or inside a
 * random event), then a second migration of the same table: it resumes whenever a checkpoint was
 * left (strict: never a silent fresh start), and the data matches the mirror. 30 seeds here and
 * 30 in the other part; more in scripts/stress-resume.ts. Replay with SEED=<base seed>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseSeed } from '../support/random.ts';
import { teardownRace } from './checkpoint-scenarios.ts';

const ROUNDS = 30;
const base = baseSeed() + 0;
const found: Record<string, number> = {};

for (let i = 0; i < ROUNDS; i++) {
  test(`9. teardown race, seed ${base + i}`, async () => {
    const o = await teardownRace(base + i);
    const key = `run 1 ${o.run1}, then ${o.found}`;
    found[key] = (found[key] ?? 0) + 1;
  });
}

test(`9. the seeds exercised resumes (base seed ${base})`, (t) => {
  t.diagnostic(JSON.stringify(found));
  const resumed = Object.entries(found).filter(([k]) => k.endsWith('resume')).reduce((n, [, v]) => n + v, 0);
  assert.ok(resumed >= 5, `at least 5 of ${ROUNDS} disposals left a checkpoint to resume from: ${JSON.stringify(found)}`);
});
