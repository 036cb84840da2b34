import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkSizer, nextChunkSize, percentile, type ChunkSample } from '../../core/copier/chunk-size.ts';

const samples = (perRowMs: number[], rows = 1000): ChunkSample[] => perRowMs.map((p) => ({ rows, ms: p * rows }));

test('grows at most 1.5x per step even when chunks are far faster than the target', () => {
  assert.equal(nextChunkSize(1000, samples([0.001]), 500), 1500);
  assert.equal(nextChunkSize(1500, samples([0]), 500), 2250, 'zero-time chunks still grow by 1.5x only');
});

test('aims at the target from the per-row time and shrinks at once when chunks are slow', () => {
  // 0.1 ms/row, 500 ms target: 5000 rows ideal, capped by growth from 4000.
  assert.equal(nextChunkSize(4000, samples([0.1]), 500), 5000);
  // 2 ms/row: 250 rows, well below the current 4000.
  assert.equal(nextChunkSize(4000, samples([2]), 500), 250);
});

test('uses the p90 of recent per-row times: one fast outlier does not grow, one slow chunk in ten is ignored, two are not', () => {
  const steady = Array(9).fill(1); // 1 ms/row -> 500 rows at 500 ms
  assert.equal(nextChunkSize(500, samples([...steady, 0.001]), 500), 500);
  assert.equal(nextChunkSize(500, samples([...Array(9).fill(1), 100]), 500), 500);
  assert.equal(nextChunkSize(500, samples([...Array(8).fill(1), 100, 100]), 500), 10, 'two slow chunks out of ten reach the p90 (clamped at 10)');
});

test('clamps to 10..100000 and ignores chunks without rows', () => {
  assert.equal(nextChunkSize(90_000, samples([0.0001]), 500), 100_000);
  assert.equal(nextChunkSize(50, samples([1000]), 500), 10);
  assert.equal(nextChunkSize(1234, [{ rows: 0, ms: 50 }], 500), 1234);
  assert.equal(nextChunkSize(1234, [], 500), 1234);
  assert.equal(nextChunkSize(5, [], 500), 10);
});

test('percentile is nearest-rank', () => {
  assert.equal(percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9), 9);
  assert.equal(percentile([7], 0.9), 7);
  assert.equal(percentile([1, 2], 0.9), 2);
});

test('ChunkSizer starts at 1000 rows, converges on the target and keeps a bounded window', () => {
  const sizer = new ChunkSizer(500);
  assert.equal(sizer.size, 1000);
  const sizes: number[] = [];
  for (let i = 0; i < 20; i++) {
    sizer.record({ rows: sizer.size, ms: sizer.size * 0.01 }); // 0.01 ms/row -> 50000 rows ideal
    sizes.push(sizer.size);
  }
  for (let i = 1; i < sizes.length; i++) assert.ok(sizes[i]! <= Math.floor(sizes[i - 1]! * 1.5));
  assert.equal(sizes.at(-1), 50_000);
  // The server slows down 10x: after enough slow chunks (beyond 10% of the window) the size follows.
  sizer.record({ rows: 50_000, ms: 5000 });
  assert.equal(sizer.size, 50_000, 'one slow chunk in ten is an outlier');
  sizer.record({ rows: 50_000, ms: 5000 });
  assert.equal(sizer.size, 5000);
  sizer.record({ rows: 0, ms: 10 });
  assert.equal(sizer.size, 5000, 'an empty chunk says nothing');
});

test('a chunk far smaller than it was cut for (sparse keys) does not shrink the size; a lock conflict halves it', () => {
  const sizer = new ChunkSizer(500);
  sizer.record({ rows: 3, ms: 30, requested: 1000 }); // 10 ms "per row": the fixed cost of a chunk
  assert.equal(sizer.size, 1000);
  sizer.record({ rows: 800, ms: 800, requested: 1000 }); // a full enough chunk counts: 1 ms/row
  assert.equal(sizer.size, 500);
  sizer.conflict();
  assert.equal(sizer.size, 250);
  for (let i = 0; i < 10; i++) sizer.conflict();
  assert.equal(sizer.size, 10, 'never below the minimum');
});
