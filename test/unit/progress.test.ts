import assert from 'node:assert/strict';
import test from 'node:test';
import { LowWatermark } from '../../core/copier/watermark.ts';
import { RateMeter } from '../../core/lifecycle/rate.ts';
import { LagClock } from '../../core/runner/progress.ts';
import { formatSeconds, summarize } from '../../cli/progress.ts';
import type { MigrationResult } from '../../mod.ts';

test('RateMeter: no rate from one sample, then rows/s over the window and an ETA against the total', () => {
  const m = new RateMeter(10_000);
  assert.deepEqual(m.measure(0, 1000, { now: 0 }), { perSecond: null, etaSeconds: null, percent: 0 });
  assert.deepEqual(m.measure(100, 1000, { now: 1000 }), { perSecond: 100, etaSeconds: 9, percent: 10 });
  // the estimate exceeded: at most 99 %, no ETA until finished
  assert.deepEqual(m.measure(1200, 1000, { now: 2000 }), { perSecond: 600, etaSeconds: null, percent: 99 });
  assert.deepEqual(m.measure(1300, 1300, { now: 3000, finished: true }), { perSecond: 433, etaSeconds: 0, percent: 100 });
});

test('RateMeter: old samples leave the window', () => {
  const m = new RateMeter(2000);
  m.measure(0, null, { now: 0 });
  m.measure(1000, null, { now: 1000 });
  m.measure(1100, null, { now: 2000 });
  const r = m.measure(1200, null, { now: 3000 });
  assert.equal(r.perSecond, 100, 'measured from the sample at 1 s, not the one at 0');
  assert.equal(r.percent, null);
});

test('LagClock: the lag is the age of the oldest head position replay has not applied', () => {
  const pos = (p: number) => ({ file: 'binlog.000001', position: p });
  const lag = new LagClock();
  assert.equal(lag.observe(pos(100), pos(100), 0), 0, 'caught up');
  assert.equal(lag.observe(pos(200), pos(100), 1000), 0, 'head seen just now');
  assert.equal(lag.observe(pos(300), pos(150), 4000), 3, 'the head of 1 s ago is not applied');
  assert.equal(lag.observe(pos(300), pos(250), 6000), 2, 'the head of 4 s ago is not applied');
  assert.equal(lag.observe(pos(300), pos(300), 7000), 0);
  assert.equal(lag.observe({ file: 'binlog.000002', position: 4 }, pos(300), 9000), 0, 'a new file seen now');
});

test('LowWatermark counts the rows of the contiguous finished prefix only', () => {
  const lw = new LowWatermark(null);
  for (let i = 0; i < 3; i++) lw.dispatched({ index: i, lower: i === 0 ? null : [i * 10], upper: i === 2 ? null : [(i + 1) * 10] });
  lw.finished(1, 7);
  assert.equal(lw.rows, 0, 'chunk 1 is above the watermark');
  lw.finished(0, 10);
  assert.equal(lw.rows, 17);
  lw.finished(2, 5);
  assert.equal(lw.rows, 22);
  assert.equal(lw.value, 'done');
});

test('formatSeconds', () => {
  assert.equal(formatSeconds(42), '42s');
  assert.equal(formatSeconds(185), '3m 05s');
  assert.equal(formatSeconds(3720), '1h 02m');
});

test('the summary names what each count is and what happened to the old table', () => {
  const base: MigrationResult = {
    schema: 's', table: 'orders', mode: 'copy', durationMs: 12_400, rowsCopied: 300_632, rowsWritten: 300_564, rowsSkipped: 68,
    rowsResumed: 0, chunks: 64, replayEvents: 1234, phases: [{ phase: 'copy', ms: 8000 }, { phase: 'cutover', ms: 120 }],
    resumed: false, cutover: { lockMs: 9, renamedTo: '_orders_old', oldTable: null }, warnings: [],
  };
  const dropped = summarize(base, 300_632);
  assert.match(dropped, /300,632 rows copied \(300,564 written, 68 already in the shadow table/);
  assert.match(dropped, /rows in the table: 300,632, all matching \(checksum\) · 64 chunks · 1,234 row events replayed/);
  assert.match(dropped, /phases: copy 8\.0 s · cutover 0\.1 s/);
  assert.match(dropped, /writes blocked 9 ms at cutover/);
  assert.match(dropped, /old table: `_orders_old` dropped$/);
  const kept = summarize({ ...base, cutover: { lockMs: 9, renamedTo: '_orders_old', oldTable: '_orders_old' } });
  assert.match(kept, /old table: kept as `_orders_old`$/);
  assert.match(kept, /rows in the table: not counted \(no checksum\)/);
});
