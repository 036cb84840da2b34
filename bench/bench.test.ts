/**
 * Unit tests of the benchmark's own logic (statistics, parsing of the tools' output, ordering,
 * rendering). No server: the measurements themselves are validated by running the bench.
 *
 *   node --import tsx --test bench/bench.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs, TOOLS } from './args.ts';
import { renderChart } from './chart.ts';
import { orderFor } from './comparison.ts';
import { BenchArgsError } from './errors.ts';
import { LoadMix, pickOp, prng } from './load-mix.ts';
import { errorsByCode, longestStall, summarize, within, type Sample } from './load-stats.ts';
import { areaOf, summarizeProfile } from './profile.ts';
import { aggregate, cell, codesCell, phaseBreakdown } from './report.ts';
import { bufferPoolBytes } from './server.ts';
import { SluiceEvents } from './sluice-cli.ts';
import { median, percentile, ratio, spread } from './stats.ts';
import { markPtOscLine, type PtOscMarks } from './tool-ptosc.ts';
import type { ToolRun } from './tool-types.ts';

test('percentile is nearest-rank and median averages the middle pair', () => {
  const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile(v, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('spread ignores missing values and ratio compares medians', () => {
  assert.deepEqual(spread([3, undefined, 1, NaN, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.equal(spread([undefined]), undefined);
  assert.equal(ratio(spread([10, 12, 11]), spread([20, 22, 24])), 0.5);
  assert.equal(ratio(spread([1]), undefined), undefined);
});

test('orderFor rotates so each tool takes each position once over as many repeats as tools', () => {
  const tools = [...TOOLS];
  for (let pos = 0; pos < tools.length; pos++) {
    const atPos = new Set(tools.map((_, r) => orderFor(tools, r)[pos]));
    assert.equal(atPos.size, tools.length);
  }
  for (let r = 0; r < 6; r++) assert.deepEqual([...orderFor(tools, r)].sort(), [...tools].sort());
});

test('pt-osc phase lines are recognised, first occurrence wins', () => {
  const marks: PtOscMarks = {};
  const lines = [
    [1, 'Altering new table...'],
    [2, '2026-11-27T07:55:57 Copying approximately 50001 rows...'],
    [3, 'Copying `bench`.`t`:  45% 00:10 remain'],
    [9, '2026-11-27T07:55:57 Copied rows OK.'],
    [10, '2026-11-27T07:55:57 Swapping tables...'],
    [12, '2026-11-27T07:55:57 Swapped original and new tables OK.'],
    [13, '2026-11-27T07:55:57 Copied rows OK.'],
  ] as const;
  for (const [at, text] of lines) markPtOscLine(marks, { at, text });
  assert.deepEqual(marks, { copyStart: 2, copyEnd: 9, swapStart: 10, swapEnd: 12 });
});

test('SluiceEvents reads phases, progress, the result and a failure from --json lines', () => {
  const e = new SluiceEvents();
  e.feed('not json', 0);
  e.feed('{"type":"phase","phase":"copy","state":"start","at":1000}', 1001);
  e.feed('{"type":"progress","snapshot":{"phase":"copy","rowsCopied":5,"rowsEstimate":9,"lowWatermark":null,"binlog":{"file":"b.1","position":4},"replayedEvents":7}}', 1100);
  e.feed('{"type":"phase","phase":"copy","state":"end","at":1600}', 1601);
  e.feed('{"type":"done","result":{"schema":"s","table":"t","mode":"copy","durationMs":900,"rowsCopied":5,"resumed":false,"cutover":{"lockMs":12,"oldTable":null}}}', 1700);
  assert.equal(e.phaseMs('copy'), 600);
  assert.equal(e.progress?.replayedEvents, 7);
  assert.deepEqual(e.progress?.binlog, { file: 'b.1', position: 4 });
  assert.equal(e.lockMs, 12);
  assert.ok(e.done);
  assert.deepEqual(e.breakdown(900, 1750), { startup: 101, copy: 600, exit: 50 });
  const f = new SluiceEvents();
  f.feed('{"type":"failed","error":"boom: do this","code":"X"}', 1);
  assert.equal(f.failed, 'X boom: do this');
  assert.equal(f.done, false);
});

test('load summaries count errors by kind and windows select by due time', () => {
  const s = (due: number, latencyMs: number, error?: string): Sample => ({ due, latencyMs, serviceMs: latencyMs, kind: 'update', ...(error ? { error } : {}) });
  const samples = [s(0, 1), s(10, 2), s(20, 300, 'ER_NO_SUCH_TABLE: x'), s(30, 4, 'ER_NO_SUCH_TABLE: x'), s(40, 5, 'ER_LOCK_DEADLOCK: y'), s(50, 6)];
  const all = summarize(samples);
  assert.equal(all.ops, 6);
  assert.equal(all.max, 300);
  assert.equal(all.errors, 3);
  assert.equal(all.deadlocks, 1);
  assert.equal(all.lockWaits, 0);
  assert.deepEqual(all.errorKinds[0], { error: 'ER_NO_SUCH_TABLE: x', count: 2 });
  const w = summarize(within(samples, 25, 45));
  assert.equal(w.ops, 2);
  assert.equal(w.max, 5);
});

test('load errors are counted by server error number, the lock errors apart, and old samples by code name', () => {
  const s = (due: number, error?: string, errno?: number): Sample => ({ due, latencyMs: 1, serviceMs: 1, kind: 'update', ...(error ? { error } : {}), ...(errno ? { errno } : {}) });
  const samples = [s(0), s(1, 'ER_LOCK_DEADLOCK: a', 1213), s(2, 'ER_LOCK_DEADLOCK: b', 1213), s(3, 'ER_LOCK_WAIT_TIMEOUT: c', 1205),
    s(4, 'ER_NO_SUCH_TABLE: d', 1146), s(5, 'ECONNRESET: e'), s(6, 'ER_LOCK_DEADLOCK: recorded without errno')];
  assert.deepEqual(errorsByCode(samples), { 1213: 3, 1205: 1, 1146: 1, client: 1 });
  const sum = summarize(samples);
  assert.equal(sum.deadlocks, 3);
  assert.equal(sum.lockWaits, 1);
  assert.equal(sum.errors, 6);
});

test('the longest write stall: the longest time with a write due and none completing, not the backlog of a load that falls behind', () => {
  const s = (due: number, end: number): Sample => ({ due, latencyMs: end - due, serviceMs: 1, kind: 'insert' });
  // Quiet: 1 ms per write every 5 ms.
  assert.equal(longestStall([s(0, 1), s(5, 6), s(10, 11)]), 1);
  // A 300 ms stall at 10: the writes due during it all complete right after it.
  const stalled = [s(0, 1), s(5, 6), s(10, 310), ...Array.from({ length: 60 }, (_, i) => s(15 + 5 * i, 311 + i))];
  assert.equal(longestStall(stalled), 300);
  // Falling behind (3 ms per write every 2 ms): latency grows without bound, the stall stays at 3 ms.
  const behind = Array.from({ length: 100 }, (_, i) => s(2 * i, 3 * (i + 1)));
  assert.equal(longestStall(behind), 3);
  assert.ok(summarize(behind).max > 100);
  // Several connections: a write stuck 200 ms stalls the load only from the last completion of the others.
  assert.equal(longestStall([s(0, 200), s(1, 2), s(3, 4), s(5, 6)]), 194);
  assert.equal(longestStall([]), 0);
});

test('the load mix is deterministic and close to 50/35/15', () => {
  const a = prng(7);
  const b = prng(7);
  for (let i = 0; i < 100; i++) assert.equal(a(), b());
  const mix = new LoadMix(1000, 1);
  const counts = { insert: 0, update: 0, delete: 0 };
  for (let i = 0; i < 20_000; i++) counts[mix.next()]++;
  assert.ok(Math.abs(counts.insert / 20_000 - 0.5) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.update / 20_000 - 0.35) < 0.02, JSON.stringify(counts));
  assert.ok(Math.abs(counts.delete / 20_000 - 0.15) < 0.02, JSON.stringify(counts));
  assert.equal(pickOp(0.49), 'insert');
  assert.equal(pickOp(0.5), 'update');
  assert.equal(pickOp(0.85), 'delete');
});

test('args: defaults, clause-only --alter, unknown tools refused', () => {
  const d = parseBenchArgs([]);
  assert.equal(d.rows, 1_000_000);
  assert.equal(d.alter, 'ENGINE=InnoDB');
  assert.equal(d.repeats, 3);
  assert.deepEqual(d.modes, ['idle', 'loaded']);
  assert.equal(d.replayRows, 200_000);
  assert.equal(parseBenchArgs(['--rows', '20000']).replayRows, 20_000);
  assert.deepEqual(parseBenchArgs(['--no-load']).modes, ['idle']);
  assert.deepEqual(parseBenchArgs(['--idle-blocker']).modes, ['idle', 'loaded', 'blocked']);
  assert.throws(() => parseBenchArgs(['--idle-blocker', '--no-load']), BenchArgsError);
  assert.deepEqual(parseBenchArgs(['--sluice-flags=--no-checksum  --threads 4']).sluiceFlags, ['--no-checksum', '--threads', '4']);
  assert.deepEqual(d.sluiceFlags, []);
  assert.throws(() => parseBenchArgs(['--alter', 'ALTER TABLE t ADD COLUMN c INT']), BenchArgsError);
  assert.throws(() => parseBenchArgs(['--tools', 'sluice,gh-ost']), BenchArgsError);
  assert.throws(() => parseBenchArgs(['--rows', '12abc']), BenchArgsError);
});

test('the buffer pool grows with the table and never goes under 1 GiB', () => {
  assert.equal(bufferPoolBytes(1_000_000), 1024 ** 3);
  const big = bufferPoolBytes(10_000_000);
  assert.ok(big >= 10_000_000 * 700 && big % (256 * 1024 * 1024) === 0);
});

test('aggregate and cells: medians with ranges, failures and errors kept apart', () => {
  const run = (ms: number, ok = true, errors = 0): ToolRun => ({
    tool: 'pt-osc', mode: 'loaded', repeat: 0, ok, endToEndMs: ms, copyMs: ms / 2, ...(ok ? {} : { error: 'exited 1' }),
    load: { ops: 10, p50: 1, p99: ms / 100, max: ms / 50, errors, deadlocks: 0, lockWaits: errors, errorsByCode: errors ? { 1205: errors } : {}, longestStallMs: ms / 40, errorKinds: errors ? [{ error: 'ER_NO_SUCH_TABLE: gone', count: errors }] : [] },
  });
  const a = aggregate([run(1000, true, 2), run(3000, true, 1), run(2000), run(9999, false)], 'pt-osc', 'loaded');
  assert.equal(a.ok, 3);
  assert.equal(a.runs, 4);
  assert.equal(a.endToEnd?.median, 2000);
  assert.equal(a.errors, 3);
  assert.deepEqual(a.errorsByCode, { 1205: 3 });
  assert.equal(codesCell(a.errorsByCode), '1205 ×3');
  assert.equal(codesCell({}), '—');
  assert.equal(a.stall?.median, 50);
  assert.equal(a.blockersKilled, undefined);
  const blocked = (killed: boolean): ToolRun => ({ ...run(1000), tool: 'sluice', mode: 'blocked', blocker: { killed, heldMs: 15_000 } });
  assert.equal(aggregate([blocked(true), blocked(false), blocked(true)], 'sluice', 'blocked').blockersKilled, 2);
  assert.deepEqual(a.failures, ['exited 1']);
  assert.equal(cell(a.endToEnd, 0.001, 2), '2.00 (1.00–3.00)');
  assert.equal(cell(undefined), '—');
});

test('phase breakdown reports medians per mode', () => {
  const r = (copy: number): ToolRun => ({ tool: 'sluice', mode: 'idle', repeat: 0, ok: true, phases: { startup: 300, copy, cutover: 40 } });
  assert.equal(phaseBreakdown([r(100), r(300), r(200)], ['idle', 'loaded']),
    "Sluice's time by phase (median ms; startup = process start to first event, exit = done to process exit): idle: startup 300 · copy 200 · cutover 40.");
});

test('the chart escapes text and draws one bar per value', () => {
  const svg = renderChart('a <b> & c', 'sub', [{ title: 'T', unit: 's', bars: [
    { label: 'x<y', value: 2, min: 1, max: 3, color: '#000' }, { label: 'z', value: NaN, color: '#111' },
  ] }]);
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  assert.ok(svg.includes('a &lt;b&gt; &amp; c') && svg.includes('x&lt;y'));
  assert.ok(!svg.includes('NaN'));
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 1);
  assert.equal((svg.match(/class="whisker"/g) ?? []).length, 1);
});

test('profile summaries add self time per function and per area', () => {
  const s = summarizeProfile({
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: 'readRow', url: 'file:///w/node_modules/@vlasky/zongji/lib/rows_event.js', lineNumber: 160 } },
      { id: 3, callFrame: { functionName: 'flush', url: 'file:///w/dist/core/replay/replayer.js', lineNumber: 9 } },
    ],
    samples: [2, 2, 3, 2],
    timeDeltas: [1000, 1000, 2000, 1000],
  });
  assert.equal(s.total, 5);
  assert.deepEqual(s.areas.map((a) => [a.name, a.ms]), [['@vlasky/zongji', 3], ['core/replay', 2]]);
  assert.equal(s.functions[0]!.name, 'readRow node_modules/@vlasky/zongji/lib/rows_event.js:161');
  assert.equal(areaOf('node:internal/x', 'f'), 'node internals');
  assert.equal(areaOf('', '(idle)'), '(idle)');
});
