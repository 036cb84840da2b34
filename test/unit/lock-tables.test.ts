/** lockTables()' decisions with a scripted finder and sessions: whom it kills, when it queues, when it gives up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lockTables, LockBlockedError, MAX_VICTIM_ROWS, resolveLockPolicy, type Blocker, type BlockerFinder } from '../../core/blockers/index.ts';

const quiet = { info() {}, warn() {}, debug() {} };
const blocker = (id: number, extra: Partial<Blocker> = {}): Blocker => ({
  id, user: 'app', host: 'h:1', command: 'Sleep', statement: null, ageMs: 60_000, rowsModified: 0, exact: true, ...extra,
});

/** Sessions that record statements; `holders` is what the finder reports (killed sessions disappear). */
function scene(holders: Blocker[], exact = true) {
  const log: string[] = [];
  const alive = new Set(holders.map((h) => h.id));
  const lock = {
    threadId: 1,
    async query(sql: string) {
      log.push(sql);
      return [[], []];
    },
  };
  const control = {
    async query(sql: string, params?: unknown[]) {
      log.push(`${sql} ${JSON.stringify(params ?? [])}`);
      if (sql.startsWith('KILL CONNECTION')) alive.delete(Number((params as number[])[0]));
      return [[], []];
    },
  };
  const finder = { exact, async holders() { return holders.filter((h) => alive.has(h.id)); } } as unknown as BlockerFinder;
  const request = (own: number[] = []) => ({
    lock: lock as never, control: control as never, schema: 's', tables: [{ name: 't', mode: 'WRITE' as const }],
    purpose: 'the test', signal: new AbortController().signal, own,
  });
  return { log, finder, request, kills: () => log.filter((l) => l.startsWith('KILL')) };
}

test('an old holder is killed once Sluice waited killBlockersAfter; Sluice\'s own sessions never are; then the lock is taken', async () => {
  const s = scene([blocker(7), blocker(9)]);
  const grant = await lockTables(s.request([7]), resolveLockPolicy({ lockWaitTimeout: 3, killBlockersAfter: 0.2 }), s.finder, quiet);
  assert.deepEqual(s.kills(), ['KILL CONNECTION ? [9]']);
  assert.deepEqual(grant.killed.map((b) => b.id), [9]);
  assert.ok(s.log.some((l) => l.startsWith('LOCK TABLES `s`.`t` WRITE')));
  // The lock was requested only after the kill, and with the short bound, then the session's own restored.
  const i = s.log.findIndex((l) => l.startsWith('LOCK TABLES'));
  assert.ok(i > s.log.findIndex((l) => l.startsWith('KILL')));
  assert.equal(s.log[i - 1], 'SET SESSION lock_wait_timeout = 2');
  assert.equal(s.log[i + 1], 'SET SESSION lock_wait_timeout = 3');
});

test('with killing off, or a transaction too big to roll back, nobody is killed and the lock is never queued behind them: LockBlockedError', async () => {
  for (const [holders, policy] of [
    [[blocker(9)], resolveLockPolicy({ lockWaitTimeout: 1, killBlockers: false })],
    [[blocker(9, { rowsModified: MAX_VICTIM_ROWS + 1 })], resolveLockPolicy({ lockWaitTimeout: 1, killBlockersAfter: 0 })],
  ] as const) {
    const s = scene([...holders]);
    await assert.rejects(lockTables(s.request(), policy, s.finder, quiet), (e: unknown) => e instanceof LockBlockedError && e.blockers[0]?.id === 9);
    assert.deepEqual(s.kills(), []);
    assert.equal(s.log.some((l) => l.startsWith('LOCK TABLES')), false, 'queued behind a known blocker');
  }
});

test('young holders (about to finish) do not keep the lock from being requested, after one second look', async () => {
  const s = scene([blocker(9, { ageMs: 10 })]);
  let n = 0;
  const finder = { exact: true, async holders() { n++; return [blocker(9 + n, { ageMs: 10 })]; } } as unknown as BlockerFinder;
  await lockTables(s.request(), resolveLockPolicy({ lockWaitTimeout: 2 }), finder, quiet);
  assert.equal(n, 2, 'one more look, then the lock');
  assert.deepEqual(s.kills(), []);
});

test('without a view nobody is a suspect before a LOCK TABLES timed out', async () => {
  const s = scene([blocker(9, { exact: false })], false);
  await lockTables(s.request(), resolveLockPolicy({ lockWaitTimeout: 2, killBlockersAfter: 0 }), s.finder, quiet);
  assert.deepEqual(s.kills(), [], 'killed on suspicion alone');
});

test('a kill the server refuses (1095: another user\'s session without CONNECTION ADMIN) is logged once and the session waited for', async () => {
  const s = scene([blocker(9)]);
  const warnings: string[] = [];
  const control = {
    async query(sql: string) {
      if (sql.startsWith('KILL CONNECTION')) throw Object.assign(new Error('You are not owner of thread 9'), { errno: 1095 });
      return [[], []];
    },
  };
  const request = { ...s.request(), control: control as never };
  await assert.rejects(lockTables(request, resolveLockPolicy({ lockWaitTimeout: 1, killBlockersAfter: 0 }), s.finder, { ...quiet, warn: (m: string) => warnings.push(m) }), LockBlockedError);
  assert.equal(warnings.filter((w) => /^cannot kill session 9 .*CONNECTION ADMIN/.test(w)).length, 1, warnings.join('\n'));
});
