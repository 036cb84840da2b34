import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../mod.ts';
import { resolveOptions } from '../../core/options.ts';
import { describeBlocker, resolveLockPolicy } from '../../core/blockers/index.ts';
import { parseFlags } from '../../cli/flags.ts';

const base = { connection: { user: 'u' }, statement: 'ALTER TABLE t ADD COLUMN c INT' };

test('lock policy defaults: kill on, after half of lockWaitTimeout, pending locks bounded at 2 s (never above lockWaitTimeout)', () => {
  assert.deepEqual(resolveOptions(base).locks, { waitMs: 30_000, killBlockers: true, killAfterMs: 15_000, stallSeconds: 2, sessionLockWaitSeconds: 30 });
  assert.equal(resolveOptions({ ...base, lockWaitTimeout: 1 }).locks.stallSeconds, 1);
  const o = resolveOptions({ ...base, lockWaitTimeout: 10, killBlockers: false, killBlockersAfter: 0.5, lockStallTimeout: 3 });
  assert.deepEqual(o.locks, { waitMs: 10_000, killBlockers: false, killAfterMs: 500, stallSeconds: 3, sessionLockWaitSeconds: 10 });
  assert.equal(o.killBlockers, false);
  assert.equal(o.killBlockersAfter, 0.5);
});

test('bad lock options are one-line InvalidOptionErrors naming the flag', () => {
  for (const [bad, flag] of [
    [{ killBlockersAfter: 30 }, '--kill-blockers-after'], // not below lockWaitTimeout: the kill could never happen
    [{ killBlockersAfter: -1 }, '--kill-blockers-after'],
    [{ lockStallTimeout: 0 }, '--lock-stall-timeout'],
    [{ lockStallTimeout: 1.5 }, '--lock-stall-timeout'],
    [{ lockStallTimeout: 31 }, '--lock-stall-timeout'],
    [{ killBlockers: 'no' }, '--no-kill-blockers'],
  ] as const) {
    assert.throws(() => resolveOptions({ ...base, ...(bad as object) }), (e: unknown) => e instanceof InvalidOptionError && e.message.includes(flag) && !e.message.includes('\n'), JSON.stringify(bad));
  }
  assert.throws(() => resolveLockPolicy({ lockWaitTimeout: 2, killBlockersAfter: 2 }), InvalidOptionError);
});

test('CLI flags map onto the lock options', () => {
  const { overrides } = parseFlags(['--no-kill-blockers', '--kill-blockers-after', '2.5', '--lock-stall-timeout', '3']);
  assert.deepEqual({ k: overrides.killBlockers, a: overrides.killBlockersAfter, s: overrides.lockStallTimeout }, { k: false, a: 2.5, s: 3 });
  assert.equal(parseFlags([]).overrides.killBlockers, undefined);
  assert.throws(() => parseFlags(['--kill-blockers-after', 'soon']), InvalidOptionError);
});

test('a blocker is described with its id, user, host, age and what it runs; a statement that may hold a password is hidden', () => {
  const b = { id: 42, user: 'app', host: '10.0.0.5:5123', command: 'Sleep', statement: null, ageMs: 12_300, rowsModified: 0, exact: true };
  assert.equal(describeBlocker(b), 'session 42 (app@10.0.0.5:5123, holding the lock 12 s, idle)');
  assert.equal(describeBlocker({ ...b, exact: false, ageMs: 2500, rowsModified: 3, command: 'Query', statement: 'SELECT * FROM t' }),
    'session 42 (app@10.0.0.5:5123, 2.5 s in a transaction, 3 row(s) changed, running: SELECT * FROM t)');
});
