/**
 * Issue 4, scenarios 1–3: resume during the copy, resume during replay catch-up (no checksum
 * plugin yet), and no phantom rows. Data is compared with a mirror table that received the same
 * changes and the ALTER natively (see checkpoint-helpers.ts). Replay a failure with SEED=<seed>.
 */
import { test } from 'node:test';
import { baseSeed } from '../support/random.ts';
import { phantomRows, resumeDuringCopy, resumeDuringReplay } from './checkpoint-scenarios.ts';

const seed = baseSeed();

test(`1. resume during copy: interrupted after the first checkpoint, rows changed while stopped (seed ${seed})`, async () => {
  await resumeDuringCopy(seed, 'int');
});

test(`2. resume during replay catch-up: copy done, interrupted while waiting to cut over (seed ${seed})`, async () => {
  await resumeDuringReplay(seed);
});

test(`3. phantom rows: rows deleted while stopped, below and above the watermark, stay deleted (seed ${seed})`, async () => {
  await phantomRows(seed);
});
