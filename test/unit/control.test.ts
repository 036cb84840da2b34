/** The control API's text protocol and registry, without a server (core/control). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationControl } from '../../core/control/control.ts';
import { ControlCommandError, ControlValueError } from '../../core/control/errors.ts';
import { ControlTable, wholeNumber } from '../../core/control/registry.ts';
import { ChunkSizer } from '../../core/copier/chunk-size.ts';

function control(): { c: MigrationControl; calls: string[] } {
  const calls: string[] = [];
  const table = new ControlTable();
  let threads = 2;
  table.setting({ name: 'threads', description: 'workers', get: () => threads, set: (v) => { const was = threads; threads = wholeNumber('threads', v, 1, 64); return `threads: ${was} -> ${threads}`; } });
  table.setting({ name: 'paused', description: 'read only', get: () => false });
  table.command({ name: 'pause', description: 'pause', run: (reason) => { calls.push(`pause ${reason ?? ''}`.trim()); return 'paused'; } });
  const c = new MigrationControl(table, () => ({
    table: 'db.t', phase: 'copy', elapsedMs: 1, rowsCopied: 5, rowsEstimate: 10, chunkSize: 100, copyWorkers: 2, throttled: null,
    replay: { applied: null, pending: 0, events: 0 }, cutover: 'not deferred',
  }));
  return { c, calls };
}

test('execute: settings are read with ?name and changed with name=value; commands take an argument', () => {
  const { c, calls } = control();
  assert.deepEqual(c.execute('?threads'), { ok: true, command: '?threads', message: 'threads=2', value: 2 });
  assert.deepEqual(c.execute(' threads = 4 '), { ok: true, command: 'threads', message: 'threads: 2 -> 4', value: 4 });
  assert.equal(c.setThreads(1), 'threads: 4 -> 1');
  assert.equal(c.execute('pause backup running').message, 'paused');
  assert.deepEqual(calls, ['pause backup running']);
  const status = c.execute('status');
  assert.equal(status.status!.settings.threads, 1);
  assert.equal(status.status!.rowsCopied, 5);
});

test('execute: refusals are typed and change nothing', () => {
  const { c } = control();
  assert.throws(() => c.execute('threads=0'), ControlValueError);
  assert.throws(() => c.execute('threads=two'), /threads must be a whole number from 1 to 64, got "two": send threads=N/);
  assert.throws(() => c.execute('threads='), /no value given: send threads=VALUE/);
  assert.throws(() => c.execute('threads'), /threads is a setting: send threads=VALUE/);
  assert.throws(() => c.execute('paused=true'), /paused can only be read/);
  assert.throws(() => c.execute('?nope'), ControlCommandError);
  assert.throws(() => c.execute('resume'), /resume is not available in this migration \(the throttler plugin is disabled\)/);
  assert.throws(() => c.setMaxLoad(3), /no setting "max-load" in this migration \(the throttler plugin is disabled\)/);
  assert.throws(() => c.execute('drop table t'), /unknown control command "drop"/);
  assert.throws(() => c.execute(''), ControlCommandError);
  assert.equal(c.get('threads'), 2);
});

test('a control name is registered once', () => {
  const table = new ControlTable();
  table.command({ name: 'pause', description: '', run: () => '' });
  assert.throws(() => table.setting({ name: 'pause', description: '', get: () => 1 }), /registered twice/);
  assert.throws(() => table.command({ name: 'Bad Name', description: '', run: () => '' }), ControlValueError);
});

test('ChunkSizer.retarget: a new time target resizes from the recent samples at once', () => {
  const sizer = new ChunkSizer(500);
  for (let i = 0; i < 5; i++) sizer.record({ rows: 1000, ms: 10, requested: 1000 }); // 0.01 ms a row
  const big = sizer.size;
  sizer.retarget(1); // 1 ms: 100 rows
  assert.equal(sizer.targetMs, 1);
  assert.equal(sizer.size, 100);
  assert.ok(big > 100);
});
