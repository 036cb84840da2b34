/** The composite (any pause wins, fatal wins, failures fail closed) and the gate (shared checks, polling, cancellation). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationCancelledError, type Logger, type PluginContext } from '../../mod.ts';
import {
  CompositeThrottler, CriticalLoadError, NOT_THROTTLED, ThrottleCheckFailedError, ThrottleGate, manualPauseThrottler, ManualPauseHandle,
  type ThrottleState, type Throttler,
} from '../../plugins/throttler/index.ts';

const ctx = {} as PluginContext;
const state = (throttled: boolean, reason?: string): ThrottleState => ({ throttled, ...(reason ? { reason } : {}) });

function fixed(name: string, s: ThrottleState | Error, journal: string[] = []): Throttler {
  return {
    name,
    open: () => { journal.push(`open ${name}`); },
    check: async () => { if (s instanceof Error) throw s; return s; },
    dispose: () => { journal.push(`dispose ${name}`); },
  };
}

test('composite: nobody pausing means go on', async () => {
  const c = new CompositeThrottler([fixed('a', NOT_THROTTLED), fixed('b', state(false))]);
  assert.deepEqual(await c.check(), NOT_THROTTLED);
  assert.deepEqual(await new CompositeThrottler([]).check(), NOT_THROTTLED);
});

test('composite: any one saying pause wins, with every reason', async () => {
  const c = new CompositeThrottler([fixed('a', NOT_THROTTLED), fixed('b', state(true, 'lag 12 s')), fixed('c', state(true, 'file exists'))]);
  const s = await c.check();
  assert.equal(s.throttled, true);
  assert.equal(s.reason, 'lag 12 s; file exists');
  assert.equal(s.fatal, undefined);
  assert.equal((await new CompositeThrottler([fixed('quiet', state(true))]).check()).reason, 'quiet says pause');
});

test('composite: a fatal state wins over pauses', async () => {
  const fatal = new CriticalLoadError(50, 40);
  const c = new CompositeThrottler([fixed('a', state(true, 'lag')), fixed('load', { throttled: true, reason: 'x', fatal })]);
  const s = await c.check();
  assert.equal(s.fatal, fatal);
  assert.equal(s.throttled, true);
  assert.match(s.reason!, /Threads_running=50 > criticalLoad 40/);
});

test('composite: a check that throws pauses (fail closed) and names the throttler', async () => {
  const c = new CompositeThrottler([fixed('ok', NOT_THROTTLED), fixed('broken', new Error('ECONNREFUSED'))]);
  const s = await c.check();
  assert.equal(s.throttled, true);
  assert.match(s.reason!, /^broken check failed \(ECONNREFUSED\)/);
  const unnamed = await new CompositeThrottler([{ check: async () => { throw new Error('x'); } }]).check();
  assert.match(unnamed.reason!, /^throttler #1 check failed/);
});

test('composite: opens in order, disposes in reverse, including one whose open threw; errors collected', async () => {
  const journal: string[] = [];
  const failingOpen: Throttler = { name: 'bad', open: () => { journal.push('open bad'); throw new Error('cannot open'); }, check: async () => NOT_THROTTLED, dispose: () => { journal.push('dispose bad'); } };
  const never = fixed('never', NOT_THROTTLED, journal);
  const c = new CompositeThrottler([fixed('a', NOT_THROTTLED, journal), failingOpen, never]);
  await assert.rejects(c.open(ctx), /cannot open/);
  await c.dispose();
  assert.deepEqual(journal, ['open a', 'open bad', 'dispose bad', 'dispose a']);

  const d = new CompositeThrottler([
    { name: 'x', check: async () => NOT_THROTTLED, dispose: () => { throw new Error('x failed'); } },
    { name: 'y', check: async () => NOT_THROTTLED, dispose: () => { throw new Error('y failed'); } },
  ]);
  await d.open(ctx);
  await assert.rejects(d.dispose(), (e) => e instanceof AggregateError && e.errors.length === 2);
  await d.dispose(); // idempotent: nothing left to dispose
});

interface Recorder extends Logger { lines: string[] }
function recorder(): Recorder {
  const lines: string[] = [];
  return { lines, debug: (m) => lines.push(`debug ${m}`), info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

/** A throttler driven by the test: `next` is what the following checks return. */
function scripted() {
  const t = { next: NOT_THROTTLED as ThrottleState | Error, calls: 0, delayMs: 0, inflight: 0, maxInflight: 0 };
  const throttler: Throttler = {
    check: async () => {
      t.calls++;
      t.inflight++;
      t.maxInflight = Math.max(t.maxInflight, t.inflight);
      await new Promise((r) => setTimeout(r, t.delayMs));
      t.inflight--;
      if (t.next instanceof Error) throw t.next;
      return t.next;
    },
  };
  return { t, throttler };
}

test('gate: concurrent waiters share one check, and its result for an interval', async () => {
  const { t, throttler } = scripted();
  t.delayMs = 20;
  let clock = 0;
  const gate = new ThrottleGate({ throttler, intervalMs: 1000, log: recorder(), now: () => clock });
  const signal = new AbortController().signal;
  await Promise.all([gate.wait(signal), gate.wait(signal), gate.wait(signal)]);
  assert.equal(t.calls, 1);
  assert.equal(t.maxInflight, 1);
  clock = 999;
  await gate.wait(signal);
  assert.equal(t.calls, 1, 'cached within the interval');
  clock = 1020;
  await gate.wait(signal);
  assert.equal(t.calls, 2, 'checked again after the interval');
});

test('gate: waits while throttled, polling every interval; reports and logs pause and resume once', async () => {
  const { t, throttler } = scripted();
  t.next = state(true, 'replica r lags 30 s');
  const log = recorder();
  const reported: Array<string | undefined> = [];
  const gate = new ThrottleGate({ throttler, intervalMs: 20, log, status: { setThrottled: (r) => reported.push(r) } });
  const signal = new AbortController().signal;
  let passed = 0;
  const waiters = [gate.wait(signal).then(() => passed++), gate.wait(signal).then(() => passed++)];
  try {
    // Polls keep coming while throttled (waited for, not timed: a loaded machine is slow), and never
    // faster than the interval: at most one per 20 ms elapsed, plus the first check.
    const started = performance.now();
    while (t.calls < 4 && performance.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5));
    const elapsed = performance.now() - started;
    assert.equal(passed, 0, 'nobody passes while throttled');
    assert.ok(t.calls >= 4, `kept polling while throttled (${t.calls} checks in ${Math.round(elapsed)} ms)`);
    assert.ok(t.calls <= elapsed / 20 + 2, `polled faster than every interval (${t.calls} checks in ${Math.round(elapsed)} ms)`);
    assert.equal(gate.pausedReason, 'replica r lags 30 s');
  } finally {
    t.next = NOT_THROTTLED; // always release the waiters: a failed assertion must not leave the file hanging
  }
  await Promise.all(waiters);
  assert.equal(passed, 2);
  assert.equal(gate.pausedReason, undefined);
  assert.equal(reported.at(-1), undefined, 'cleared on resume');
  assert.ok(reported.includes('replica r lags 30 s'));
  const infos = log.lines.filter((l) => l.startsWith('info'));
  assert.equal(infos.length, 2, infos.join(' | '));
  assert.match(infos[0]!, /pausing the copy \(replay continues\): replica r lags 30 s/);
  assert.match(infos[1]!, /resuming the copy after \d+\.\d s paused/);
});

test('gate: a fatal state is thrown to every waiter, and stays', async () => {
  const { t, throttler } = scripted();
  const fatal = new CriticalLoadError(99, 10);
  t.next = { throttled: true, reason: fatal.message, fatal };
  const gate = new ThrottleGate({ throttler, intervalMs: 10, log: recorder() });
  const signal = new AbortController().signal;
  const results = await Promise.allSettled([gate.wait(signal), gate.wait(signal)]);
  for (const r of results) assert.ok(r.status === 'rejected' && r.reason === fatal);
  t.next = NOT_THROTTLED;
  await assert.rejects(gate.wait(signal), (e) => e === fatal);
});

test('gate: a check that throws pauses (fail closed) until one succeeds', async () => {
  const { t, throttler } = scripted();
  t.next = new Error('boom');
  const gate = new ThrottleGate({ throttler, intervalMs: 10, log: recorder() });
  const w = gate.wait(new AbortController().signal);
  await new Promise((r) => setTimeout(r, 50));
  assert.match(gate.pausedReason ?? '', /throttle check failed \(boom\)/);
  t.next = NOT_THROTTLED;
  await w;
});

test('composite: what could not be checked is reported as failing, paused or not', async () => {
  const c = new CompositeThrottler([fixed('broken', new Error('ECONNREFUSED')), fixed('lag', { throttled: false, failing: 'replica r unreadable (timeout)' })]);
  const s = await c.check();
  assert.equal(s.throttled, true);
  assert.equal(s.failing, 'broken check failed (ECONNREFUSED); replica r unreadable (timeout)');
  const grace = await new CompositeThrottler([fixed('lag', { throttled: false, failing: 'replica r unreadable (timeout)' })]).check();
  assert.deepEqual(grace, { throttled: false, failing: 'replica r unreadable (timeout)' });
});

test('gate: failing checks warn once per episode, say when they work again, and become fatal after failAfter', async () => {
  const { t, throttler } = scripted();
  let clock = 0; // jumps on top of the real time, so that polling still sees time pass
  const log = recorder();
  const start = performance.now();
  const gate = new ThrottleGate({ throttler, intervalMs: 10, failAfterMs: 60_000, log, now: () => clock + performance.now() - start });
  const signal = new AbortController().signal;
  t.next = new Error('boom');
  const paused = gate.wait(signal);
  await new Promise((r) => setTimeout(r, 60));
  clock = 30_000;
  await new Promise((r) => setTimeout(r, 60));
  t.next = NOT_THROTTLED;
  await paused;
  const warns = log.lines.filter((l) => l.startsWith('warn'));
  assert.equal(warns.length, 1, log.lines.join(' | '));
  assert.match(warns[0]!, /a throttle check fails: throttle check failed \(boom\); .*stops \(keeping its checkpoint\) if checks fail for 1m0s/);
  assert.ok(log.lines.some((l) => /^info throttler: checks work again after 30\.\d s failing/.test(l)), log.lines.join(' | '));

  t.next = { throttled: false, failing: 'replica r unreadable (timeout)' };
  clock = 100_000;
  await new Promise((r) => setTimeout(r, 20));
  await gate.wait(signal); // within the bound, not paused: goes on
  assert.equal(log.lines.filter((l) => l.startsWith('warn')).length, 2, 'a new episode warns again');
  clock = 150_000;
  await new Promise((r) => setTimeout(r, 20)); // past the interval: checked again
  await gate.wait(signal);
  clock = 160_000;
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(gate.wait(signal), (e) => e instanceof ThrottleCheckFailedError && e.failingMs >= 60_000 && /replica r unreadable \(timeout\)/.test(e.message));
  t.next = NOT_THROTTLED;
  await assert.rejects(gate.wait(signal), ThrottleCheckFailedError, 'fatal stays');
});

test('gate: cancellation rejects promptly while paused, but never before the check in flight settles', async () => {
  const { t, throttler } = scripted();
  t.next = state(true, 'paused');
  const gate = new ThrottleGate({ throttler, intervalMs: 60_000, log: recorder() });
  const ac = new AbortController();
  const w = gate.wait(ac.signal);
  await new Promise((r) => setTimeout(r, 20));
  const started = performance.now();
  ac.abort(new MigrationCancelledError('test'));
  await assert.rejects(w, MigrationCancelledError);
  assert.ok(performance.now() - started < 100, 'prompt');

  t.delayMs = 80;
  const ac2 = new AbortController();
  const gate2 = new ThrottleGate({ throttler, intervalMs: 10, log: recorder() });
  const w2 = gate2.wait(ac2.signal);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(t.inflight, 1);
  ac2.abort(new MigrationCancelledError('test'));
  await assert.rejects(w2, MigrationCancelledError);
  assert.equal(t.inflight, 0, 'the check had settled before wait() rejected');
});

test('gate + manual pause: pause() takes effect at the next check, resume() wakes the waiters at once', async () => {
  const manual = new ManualPauseHandle();
  const gate = new ThrottleGate({ throttler: manualPauseThrottler(manual), intervalMs: 60_000, log: recorder() });
  manual.onChange(() => gate.invalidate());
  const signal = new AbortController().signal;
  await gate.wait(signal);
  manual.pause('maintenance');
  assert.equal(manual.paused, true);
  let passed = false;
  const w = gate.wait(signal).then(() => { passed = true; });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(passed, false, 'the cached "go" was dropped by pause()');
  assert.equal(gate.pausedReason, 'paused by the operator: maintenance');
  const started = performance.now();
  manual.resume();
  await w;
  assert.ok(performance.now() - started < 200, 'resume did not wait for the 60 s interval');
  assert.equal(manual.paused, false);
});
