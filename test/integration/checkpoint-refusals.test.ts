/**
 * Issue 4, scenarios 4–8: a checkpoint that cannot be used. Strict: the typed error, one line,
 * and neither the shadow table nor the checkpoint touched. Non-strict: a warning naming the reason,
 * a fresh start and correct data. Also: a failed checkpoint write stops the run and keeps the
 * shadow table; a DDL on the source drops the checkpoint.
 */
import { describe, test } from 'node:test';
import { baseSeed } from '../support/random.ts';
import { failedWriteStops, refusal, sourceChangeDrops, type Refusal } from './checkpoint-scenarios.ts';

const seed = baseSeed();
const cases: Array<[Refusal, string]> = [
  ['binlog-purged', '4. binlog purged → BinlogNotFoundError'],
  ['too-old', '5. older than the maximum age → CheckpointTooOldError (and 167h still resumes)'],
  ['other-statement', '6. another statement → MismatchedStatementError'],
  ['checkpoint-dropped', '7. checkpoint table dropped by hand → CheckpointMissingError'],
  ['row-deleted', '7b. checkpoint row deleted → CheckpointMissingError'],
  ['format-version', 'format version unknown → CheckpointFormatError'],
  ['shadow-dropped', 'shadow table dropped, checkpoint left → ShadowTableMissingError'],
];

describe(`strict (seed ${seed})`, () => {
  for (const [what, title] of cases) test(title, () => refusal(what, true, seed));
});

describe(`8. non-strict: a warning naming the reason, then a fresh start that completes (seed ${seed})`, () => {
  for (const [what, title] of cases) test(title.replace(/ → .*/, ''), () => refusal(what, false, seed));
});

test('a failed checkpoint write stops the migration and keeps the shadow table', () => failedWriteStops(seed));

test('a DDL on the source fails the run with SourceTableChangedError and drops the checkpoint', () => sourceChangeDrops(seed));
