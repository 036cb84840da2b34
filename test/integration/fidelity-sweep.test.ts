/**
 * The generated sweep (test/support/fidelity-sweep.ts): every table shape × every clause kind,
 * plus a fixed sample of clause pairs, migrated with `tryNative: false` and compared with the
 * server's own ALTER on the same rows. `npm run sweep` runs every pair (SLUICE_SWEEP_PAIRS=n for a sample).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweep, SHAPES, sweepAlters, TIME_ZONE_CLAUSES } from '../support/fidelity-sweep.ts';

const pairs = process.env.SLUICE_SWEEP_PAIRS === undefined ? 6 : Number(process.env.SLUICE_SWEEP_PAIRS || Infinity);

test(`sweep: ${SHAPES.length} table shapes × clause kinds (and ${Number.isFinite(pairs) ? pairs : 'all'} clause pairs): the migration and the server's ALTER agree`, async () => {
  const report = await runSweep('fidelity_sweep', sweepAlters(pairs));
  assert.ok(report.total >= 200, `only ${report.total} combinations`);
  assert.ok(report.refused < report.total / 4, `${report.refused} of ${report.total} refused: the sweep must mostly migrate`);
  assert.deepEqual(report.disagreements.slice(0, 12), [], `${report.disagreements.length} of ${report.total} combinations disagree`);
  assert.equal(report.agreed, report.total);
});

test(`sweep under a +05:30 global time zone: ${SHAPES.length} shapes × the time-zone-dependent clause kinds agree with the server's ALTER`, async () => {
  const report = await runSweep('fidelity_sweep_tz', TIME_ZONE_CLAUSES, { timeZone: '+05:30' });
  assert.deepEqual(report.disagreements.slice(0, 12), [], `${report.disagreements.length} of ${report.total} combinations disagree`);
  assert.equal(report.agreed, report.total);
  assert.ok(report.refused < report.total / 2, `${report.refused} of ${report.total} refused`);
});
