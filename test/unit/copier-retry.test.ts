import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationCancelledError } from '../../core/errors.ts';
import { ChunkRetryExhaustedError } from '../../core/copier/errors.ts';
import { shareLocking } from '../../core/copier/locking.ts';
import { backoffMs, ConflictBackoff, isLockConflict, type RetryPolicy } from '../../core/copier/retry.ts';
import { ShadowGate } from '../../core/copier/shadow-gate.ts';

const serverError = (errno: number, message: string) => Object.assign(new Error(message), { errno });

test('conflicts are retried for as long as the time bound allows, however many there are', async () => {
  let clock = 0;
  const policy: RetryPolicy = { timeoutMs: 60_000, baseMs: 1, maxMs: 2 };
  const backoff = new ConflictBackoff('chunk 3', policy, new AbortController().signal, () => clock);
  for (let i = 0; i < 50; i++) {
    clock += 1000; // 50 s of conflicts: still within the minute
    await backoff.conflict(serverError(1213, 'Deadlock found when trying to get lock'));
  }
  assert.equal(backoff.attempts, 50);
  backoff.progress(); // a piece committed: the bound starts again
  clock += 59_000;
  await backoff.conflict(serverError(1205, 'Lock wait timeout exceeded'));
  assert.equal(backoff.attempts, 1);
});

test('past the time bound without progress, the conflict becomes a one-line ChunkRetryExhaustedError', async () => {
  let clock = 0;
  const cause = serverError(1213, 'Deadlock found when trying to get lock;\ntry restarting transaction');
  const backoff = new ConflictBackoff('chunk 7 of t', { timeoutMs: 120_000, baseMs: 1, maxMs: 1 }, new AbortController().signal, () => clock);
  await backoff.conflict(cause);
  clock = 125_000;
  await assert.rejects(backoff.conflict(cause), (err: unknown) => {
    assert.ok(err instanceof ChunkRetryExhaustedError);
    assert.equal(err.code, 'CHUNK_RETRIES_EXHAUSTED');
    assert.equal(err.cause, cause);
    assert.match(err.message, /^chunk 7 of t met lock conflicts for 2m5s without progress \(2 attempts, last: Deadlock found/);
    assert.match(err.message, /--lock-conflict-timeout/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
});

test('lock conflicts: deadlock, lock wait timeout, MySQL NOWAIT refusal; nothing else', () => {
  assert.equal(isLockConflict(null), false);
  assert.equal(isLockConflict({ errno: 1205 }), true);
  assert.equal(isLockConflict({ errno: 1213 }), true);
  assert.equal(isLockConflict({ errno: 3572 }), true);
  assert.equal(isLockConflict({ errno: 1146 }), false);
});

test('an abort during the backoff rejects promptly with MigrationCancelledError', async () => {
  const ac = new AbortController();
  const backoff = new ConflictBackoff('x', { timeoutMs: 600_000, baseMs: 60_000, maxMs: 60_000 }, ac.signal);
  const started = Date.now();
  const run = backoff.conflict(serverError(1205, 'Lock wait timeout exceeded'));
  setTimeout(() => ac.abort('stop'), 20);
  await assert.rejects(run, MigrationCancelledError);
  assert.ok(Date.now() - started < 1000);
});

test('backoff doubles from the base, is capped and jittered by at most 25%', () => {
  const p = { baseMs: 100, maxMs: 1000 };
  assert.equal(backoffMs(1, p, () => 0.5), 100);
  assert.equal(backoffMs(2, p, () => 0.5), 200);
  assert.equal(backoffMs(3, p, () => 0.5), 400);
  assert.equal(backoffMs(8, p, () => 0.5), 1000);
  assert.equal(backoffMs(5000, p, () => 0.5), 1000);
  assert.equal(backoffMs(1, p, () => 0), 75);
  assert.equal(backoffMs(1, p, () => 0.999999), 125);
});

test('share-lock clauses follow the server: MariaDB 10.6+, MySQL 8+, none before', () => {
  assert.equal(shareLocking({ mariadb: true, parts: [10, 11, 19] })?.nowait, 'LOCK IN SHARE MODE NOWAIT');
  assert.equal(shareLocking({ mariadb: true, parts: [11, 4, 0] })?.skipLocked, 'LOCK IN SHARE MODE SKIP LOCKED');
  assert.equal(shareLocking({ mariadb: true, parts: [10, 5, 9] }), null);
  assert.equal(shareLocking({ mariadb: false, parts: [8, 0, 36] })?.nowait, 'FOR SHARE NOWAIT');
  assert.equal(shareLocking({ mariadb: false, parts: [5, 7, 44] }), null);
});

test('the shadow gate: readers overlap, a writer excludes them and goes before later readers', async () => {
  const gate = new ShadowGate();
  const events: string[] = [];
  let releaseA!: () => void;
  const a = gate.shared(async () => { events.push('A+'); await new Promise<void>((r) => { releaseA = r; }); events.push('A-'); });
  const b = gate.shared(async () => { events.push('B'); });
  await b;
  const w = gate.exclusive(async () => { events.push('W'); });
  const c = gate.shared(async () => { events.push('C'); });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(events, ['A+', 'B'], 'the writer waits for A, and C waits behind the writer');
  releaseA();
  await Promise.all([a, w, c]);
  assert.deepEqual(events, ['A+', 'B', 'A-', 'W', 'C']);
  await assert.rejects(gate.exclusive(async () => { throw new Error('boom'); }), /boom/);
  await gate.shared(async () => { events.push('D'); }); // released after a failure
  assert.equal(events.at(-1), 'D');
});
