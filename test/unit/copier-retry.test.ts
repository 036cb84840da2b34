import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationCancelledError } from '../../core/errors.ts';
import { ChunkRetryExhaustedError } from '../../core/copier/errors.ts';
import { backoffMs, isLockConflict, withLockRetry, type RetryPolicy } from '../../core/copier/retry.ts';

const fast: RetryPolicy = { attempts: 4, baseMs: 1, maxMs: 5 };
const serverError = (errno: number, message: string) => Object.assign(new Error(message), { errno });

test('deadlocks and lock wait timeouts are retried until the statement succeeds', async () => {
  let calls = 0;
  const result = await withLockRetry('chunk 3', async () => {
    calls++;
    if (calls === 1) throw serverError(1213, 'Deadlock found when trying to get lock');
    if (calls === 2) throw serverError(1205, 'Lock wait timeout exceeded');
    return 42;
  }, new AbortController().signal, fast);
  assert.equal(result, 42);
  assert.equal(calls, 3);
});

test('retries are bounded: the last conflict becomes ChunkRetryExhaustedError', async () => {
  let calls = 0;
  const cause = serverError(1213, 'Deadlock found when trying to get lock; try restarting transaction');
  await assert.rejects(withLockRetry('chunk 7 of t', async () => { calls++; throw cause; }, new AbortController().signal, fast), (err: unknown) => {
    assert.ok(err instanceof ChunkRetryExhaustedError);
    assert.equal(err.code, 'CHUNK_RETRIES_EXHAUSTED');
    assert.equal(err.cause, cause);
    assert.match(err.message, /^chunk 7 of t hit a lock conflict 4 times/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  assert.equal(calls, fast.attempts);
});

test('other errors are not retried', async () => {
  let calls = 0;
  await assert.rejects(withLockRetry('x', async () => { calls++; throw serverError(1146, "Table 'a.b' doesn't exist"); }, new AbortController().signal, fast), /doesn't exist/);
  assert.equal(calls, 1);
  assert.equal(isLockConflict(null), false);
  assert.equal(isLockConflict({ errno: 1205 }), true);
});

test('an abort during the backoff rejects promptly with MigrationCancelledError and stops retrying', async () => {
  const ac = new AbortController();
  let calls = 0;
  const slow: RetryPolicy = { attempts: 5, baseMs: 60_000, maxMs: 60_000 };
  const started = Date.now();
  const run = withLockRetry('x', async () => { calls++; throw serverError(1205, 'Lock wait timeout exceeded'); }, ac.signal, slow);
  setTimeout(() => ac.abort('stop'), 20);
  await assert.rejects(run, MigrationCancelledError);
  assert.ok(Date.now() - started < 1000);
  assert.equal(calls, 1);
});

test('backoff doubles from the base, is capped and jittered by at most 25%', () => {
  const p: RetryPolicy = { attempts: 10, baseMs: 100, maxMs: 1000 };
  assert.equal(backoffMs(1, p, () => 0.5), 100);
  assert.equal(backoffMs(2, p, () => 0.5), 200);
  assert.equal(backoffMs(3, p, () => 0.5), 400);
  assert.equal(backoffMs(8, p, () => 0.5), 1000);
  assert.equal(backoffMs(1, p, () => 0), 75);
  assert.equal(backoffMs(1, p, () => 0.999999), 125);
});
