import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationOption, formatDuration, parseDuration } from '../../core/duration.ts';
import { InvalidOptionError } from '../../core/errors.ts';

test('parseDuration: milliseconds as numbers or strings with units, compound parts, junk refused', () => {
  assert.equal(parseDuration(1500), 1500);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('168h'), 168 * 3_600_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration(' 1m 30s '), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration(' 2M '), 120_000);
  for (const bad of ['', 'abc', '5x', '5s x', '-1s', 's', '5 parsecs', -5, Number.NaN, Infinity, null, {}]) {
    assert.equal(parseDuration(bad), undefined, `refuses ${JSON.stringify(bad)}`);
  }
});

test('durationOption: fallback, minimum, and the caller\'s typed one-line error', () => {
  const fail = (m: string) => new InvalidOptionError(m);
  assert.equal(durationOption('interval', undefined, 60_000, fail), 60_000);
  assert.equal(durationOption('interval', '5s', 60_000, fail), 5000);
  assert.equal(durationOption('interval', 0, 1, fail, 0), 0);
  for (const bad of ['soon', 0, '0', -5, '5s x']) {
    assert.throws(() => durationOption('interval', bad, 1, fail), (e: unknown) =>
      e instanceof InvalidOptionError && !(e as Error).message.includes('\n') && /interval must be a duration/.test((e as Error).message));
  }
});

test('formatDuration is short and readable', () => {
  assert.equal(formatDuration(950), '950ms');
  assert.equal(formatDuration(12_500), '12.5s');
  assert.equal(formatDuration(200_000), '3m20s');
  assert.equal(formatDuration(7 * 86_400_000), '7d0h');
});
