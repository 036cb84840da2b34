import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointPlugin, CheckpointOptionError } from '../../plugins/checkpoint/index.ts';
import { decodeWatermark, encodeWatermark, WatermarkCodecError } from '../../plugins/checkpoint/codec.ts';
import { shouldWrite } from '../../plugins/checkpoint/schedule.ts';
import { InvalidOptionError } from '../../mod.ts';

test('bad durations are refused at once with a one-line CheckpointOptionError naming the flag', () => {
  for (const bad of ['', 'abc', '5x', 's5', '-5s', '5s-', 'ms', Number.NaN, -1, Infinity]) {
    assert.throws(() => checkpointPlugin({ interval: bad as never }), (err: unknown) => {
      assert.ok(err instanceof CheckpointOptionError && err instanceof InvalidOptionError);
      assert.match((err as Error).message, /--checkpoint-interval/);
      assert.doesNotMatch((err as Error).message, /\n/);
      return true;
    }, `refuses ${String(bad)}`);
  }
  assert.throws(() => checkpointPlugin({ maxAge: 0 }), /--checkpoint-max-age/);
  assert.equal(checkpointPlugin({ interval: 0, maxAge: '1h30m' }).name, 'checkpoint');
});

test('checkpointPlugin validates its options up front and is named checkpoint', () => {
  const p = checkpointPlugin();
  assert.equal(p.name, 'checkpoint');
  for (const hook of ['resume', 'beforeCopy', 'progress', 'onSuccess', 'onError', 'onCancel']) {
    assert.equal(typeof (p as unknown as Record<string, unknown>)[hook], 'function', hook);
  }
  assert.throws(() => checkpointPlugin({ interval: 'soon' }), CheckpointOptionError);
  assert.throws(() => checkpointPlugin({ maxAge: '0s' }), CheckpointOptionError);
  assert.throws(() => checkpointPlugin({ strict: 'yes' as never }), /strict must be true or false/);
});

test('watermarks round-trip exactly: integers, BIGINT strings beyond 2^53, dates, text, Buffers', () => {
  const buf = Buffer.from([0x00, 0xff, 0x10, 0x00]);
  const cases: Array<unknown> = [
    null,
    'done',
    [42],
    [-7],
    ['18446744073709551615'],
    ['9007199254740993'],
    ['2026-01-02 03:04:05.123456'],
    ['12345678901234.123456'],
    ['naïve 🚀', 'b'],
    ['', 0],
    [buf],
    [Buffer.alloc(0)],
    [3, buf, 'x'],
  ];
  for (const wm of cases) {
    const text = encodeWatermark(wm as never);
    JSON.parse(text); // valid JSON
    const back = decodeWatermark(text);
    assert.deepEqual(back, wm, text);
    if (Array.isArray(wm)) {
      (wm as unknown[]).forEach((v, i) => {
        const b = (back as unknown[])[i];
        if (Buffer.isBuffer(v)) assert.ok(Buffer.isBuffer(b) && b.equals(v), 'a Buffer comes back as the same bytes');
        else assert.equal(typeof b, typeof v, 'a value keeps its type');
      });
    }
  }
  assert.equal(encodeWatermark([buf]), '[{"$hex":"00ff1000"}]');
  assert.deepEqual(decodeWatermark(encodeWatermark([12345678901234567890n] as never)), ['12345678901234567890']);
});

test('watermarks that cannot be stored or read back exactly are refused', () => {
  for (const bad of [[new Date(0)], [null], [undefined], [Number.NaN], [{ a: 1 }], [], 'all']) {
    assert.throws(() => encodeWatermark(bad as never), WatermarkCodecError, JSON.stringify(bad));
  }
  for (const bad of ['', 'nope', '{}', '[]', '"later"', '[null]', '[{"$hex":"0g"}]', '[{"$hex":"abc"}]', '[{"$hex":"00","x":1}]', '[[1]]', '[true]', 42]) {
    assert.throws(() => decodeWatermark(bad), WatermarkCodecError, String(bad));
  }
});

test('a checkpoint is written first, then on a phase change, on copy completion, or after the interval', () => {
  const snap = (phase: string, lowWatermark: unknown = [5]) => ({ phase, lowWatermark: lowWatermark as never });
  assert.equal(shouldWrite(undefined, snap('copy'), 0, 50_000), true);
  const last = { at: 1_000, phase: 'copy', done: false };
  assert.equal(shouldWrite(last, snap('copy'), 1_000 + 49_999, 50_000), false);
  assert.equal(shouldWrite(last, snap('copy'), 1_000 + 50_000, 50_000), true);
  assert.equal(shouldWrite(last, snap('verify'), 1_001, 50_000), true);
  assert.equal(shouldWrite(last, snap('copy', 'done'), 1_001, 50_000), true);
  assert.equal(shouldWrite({ ...last, done: true }, snap('copy', 'done'), 1_001, 50_000), false);
  assert.equal(shouldWrite(last, snap('copy'), 1_000, 0), true);
});
