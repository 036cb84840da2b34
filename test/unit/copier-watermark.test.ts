import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LowWatermark } from '../../core/copier/watermark.ts';
import { seededRandom, baseSeed } from '../support/random.ts';

const chunk = (index: number, upper: number | null) => ({ index, lower: index === 0 ? null : [index * 10], upper: upper === null ? null : [upper] });

test('advances only over the contiguous prefix of finished chunks', () => {
  const lw = new LowWatermark(null);
  for (let i = 0; i < 4; i++) lw.dispatched(chunk(i, (i + 1) * 10));
  lw.dispatched(chunk(4, null));
  assert.equal(lw.value, null);
  lw.finished(2);
  assert.equal(lw.value, null, 'chunk 0 is unfinished');
  lw.finished(0);
  assert.deepEqual(lw.value, [10]);
  lw.finished(1);
  assert.deepEqual(lw.value, [30], 'jumps over the already finished chunk 2');
  lw.finished(4);
  assert.deepEqual(lw.value, [30]);
  lw.finished(3);
  assert.equal(lw.value, 'done');
});

test('starts at the resume point', () => {
  const lw = new LowWatermark([500]);
  assert.deepEqual(lw.value, [500]);
  lw.dispatched({ index: 0, lower: [500], upper: [600] });
  lw.finished(0);
  assert.deepEqual(lw.value, [600]);
});

test('a chunk that was never dispatched cannot finish', () => {
  assert.throws(() => new LowWatermark(null).finished(0));
});

test('random finish orders: monotonic, never past an unfinished chunk, done at the end', () => {
  const seed = baseSeed();
  const rnd = seededRandom(seed);
  for (let round = 0; round < 200; round++) {
    const n = 1 + Math.floor(rnd() * 30);
    const lw = new LowWatermark(null);
    for (let i = 0; i < n; i++) lw.dispatched(chunk(i, i === n - 1 ? null : (i + 1) * 10));
    const order = [...Array(n).keys()].sort(() => rnd() - 0.5);
    const finished = new Set<number>();
    let prev = -1;
    for (const idx of order) {
      lw.finished(idx);
      finished.add(idx);
      const v = lw.value;
      let firstUnfinished = 0;
      while (finished.has(firstUnfinished)) firstUnfinished++;
      if (firstUnfinished === n) assert.equal(v, 'done', `seed ${seed}`);
      else if (firstUnfinished === 0) assert.equal(v, null, `seed ${seed}`);
      else {
        const at = Number((v as number[])[0]);
        assert.equal(at, firstUnfinished * 10, `seed ${seed}: the watermark is the lower bound of the first unfinished chunk`);
        assert.ok(at >= prev, `seed ${seed}`);
        prev = at;
      }
    }
  }
});
