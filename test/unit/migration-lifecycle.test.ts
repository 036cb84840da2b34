import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Migration, type Phase } from '../../core/lifecycle/migration.ts';
import { definePlugin } from '../../core/lifecycle/hooks.ts';
import { sleep } from '../../core/lifecycle/abort.ts';
import { DisposeError, MigrationCancelledError, MigrationStateError, PluginError } from '../../core/errors.ts';
import type { MigrationResult } from '../../core/types.ts';
import { FakeResource } from '../support/fake-resource.ts';

const RESULT: MigrationResult = {
  schema: 's', table: 't', mode: 'copy', durationMs: 1, rowsCopied: 0, rowsWritten: 0, rowsSkipped: 0, rowsResumed: 0, chunks: 0, replayEvents: 0, phases: [], resumed: false, cutover: null, warnings: [],
};

function finalPhase(): Phase {
  return { name: 'finish', run: async () => RESULT };
}

test('dispose during a run aborts it and waits for it to settle before closing anything', async () => {
  const journal: string[] = [];
  const db = new FakeResource('db', journal);
  let inFlight = false;
  const phases: Phase[] = [
    { name: 'acquire', run: async (ctx) => { await ctx.defer('db', () => db.close()); } },
    {
      name: 'copy',
      run: async (ctx) => {
        for (;;) {
          inFlight = true;
          await db.use(10); // a query that ignores the signal until it finishes
          inFlight = false;
          journal.push('chunk');
          await sleep(1, ctx.signal);
        }
      },
    },
    finalPhase(),
  ];
  const m = new Migration({ phases });
  const run = m.run();
  await new Promise((r) => setTimeout(r, 25));
  await m[Symbol.asyncDispose]();
  await assert.rejects(run, MigrationCancelledError);
  assert.equal(inFlight, false);
  assert.deepEqual(db.violations, []);
  assert.equal(journal.at(-1), 'close db');
});

test('a cancelled run calls onCancel, never onError', async () => {
  const seen: string[] = [];
  const plugin = definePlugin({
    name: 'state-keeper',
    onError: () => { seen.push('error: would drop state'); },
    onCancel: (_ctx, reason) => { seen.push(`cancel: ${reason instanceof MigrationCancelledError}`); },
  });
  const phases: Phase[] = [
    // an in-flight path that fails *because* it was cancelled (e.g. a killed query)
    { name: 'work', run: async (ctx) => { await new Promise((r) => setTimeout(r, 5)); if (ctx.signal.aborted) throw new Error('connection closed'); await sleep(1000, ctx.signal); } },
    finalPhase(),
  ];
  const m = new Migration({ phases, plugins: [plugin] });
  const run = m.run();
  m.cancel('user pressed ctrl-c');
  const err = await run.catch((e: unknown) => e);
  assert.ok(err instanceof MigrationCancelledError);
  assert.deepEqual(seen, ['cancel: true']);
  await m[Symbol.asyncDispose]();
});

test('a genuine failure calls onError with the error and rejects with it', async () => {
  const seen: unknown[] = [];
  const boom = new Error('boom');
  const plugin = definePlugin({ name: 'p', onError: (_c, e) => { seen.push(e); }, onCancel: () => { seen.push('cancel'); } });
  const m = new Migration({ phases: [{ name: 'fail', run: async () => { throw boom; } }], plugins: [plugin] });
  await assert.rejects(m.run(), (e) => e === boom);
  assert.deepEqual(seen, [boom]);
  await m[Symbol.asyncDispose]();
});

test('plugins set up in registration order and are disposed in reverse, after later resources', async () => {
  const order: string[] = [];
  const mk = (name: string) => definePlugin({
    name,
    setup: async (ctx) => { order.push(`setup ${name}`); await ctx.defer(`${name}-conn`, () => { order.push(`close ${name}-conn`); }); },
    dispose: () => { order.push(`dispose ${name}`); },
  });
  const phases: Phase[] = [
    { name: 'pool', run: async (ctx) => { await ctx.defer('pool', () => { order.push('close pool'); }); } },
    finalPhase(),
  ];
  const m = new Migration({ phases, plugins: [mk('mdl'), mk('checkpoint')] });
  await m.run();
  await m[Symbol.asyncDispose]();
  assert.deepEqual(order, [
    'setup mdl', 'setup checkpoint',
    'close pool', 'close checkpoint-conn', 'dispose checkpoint', 'close mdl-conn', 'dispose mdl',
  ]);
});

test('errors from several disposers are all reported together with the run error', async () => {
  const runError = new Error('copy failed');
  const phases: Phase[] = [
    {
      name: 'acquire',
      run: async (ctx) => {
        await ctx.defer('a', () => { throw new Error('a close failed'); });
        await ctx.defer('b', () => { throw new Error('b close failed'); });
        throw runError;
      },
    },
  ];
  const m = new Migration({ phases });
  await assert.rejects(m.run(), (e) => e === runError);
  const err = await m[Symbol.asyncDispose]().catch((e: unknown) => e);
  assert.ok(err instanceof DisposeError);
  assert.deepEqual(err.errors.map((e) => (e as Error).message), ['b close failed', 'a close failed']);
  assert.equal(err.runError, runError);
  // twice: a no-op that reports the same outcome, and closes nothing again
  const again = await m[Symbol.asyncDispose]().catch((e: unknown) => e);
  assert.equal(again, err);
});

test('dispose twice and concurrently is one disposal', async () => {
  let closes = 0;
  const m = new Migration({ phases: [{ name: 'a', run: async (ctx) => { await ctx.defer('x', () => { closes++; }); return RESULT; } }] });
  await m.run();
  await Promise.all([m[Symbol.asyncDispose](), m[Symbol.asyncDispose]()]);
  await m[Symbol.asyncDispose]();
  assert.equal(closes, 1);
});

test('dispose before run, run after dispose, run twice', async () => {
  const m = new Migration({ phases: [finalPhase()] });
  await m[Symbol.asyncDispose]();
  await assert.rejects(m.run(), MigrationStateError);
  const m2 = new Migration({ phases: [finalPhase()] });
  await m2.run();
  await assert.rejects(m2.run(), MigrationStateError);
  await m2[Symbol.asyncDispose]();
});

test('await using disposes at the end of the block, after the run', async () => {
  const journal: string[] = [];
  {
    await using m = new Migration({
      phases: [{ name: 'a', run: async (ctx) => { await ctx.defer('res', () => { journal.push('closed'); }); journal.push('ran'); return RESULT; } }],
    });
    await m.run();
  }
  assert.deepEqual(journal, ['ran', 'closed']);
});

test('definePlugin rejects malformed plugins with a clear message', () => {
  assert.throws(() => definePlugin({ name: '' }), PluginError);
  assert.throws(() => definePlugin({ name: 'x', beforeCopi: () => {} } as never), /unknown hook "beforeCopi"/);
  assert.throws(() => new Migration({ phases: [], plugins: [{ name: 'a' }, { name: 'a' }] }), /unique/);
});

test('events are redacted: a password never reaches listeners', async () => {
  const events: string[] = [];
  const m = new Migration({
    secrets: ['hunter2'],
    phases: [{ name: 'a', run: async (ctx) => { ctx.log.info('connecting to mysql://root:hunter2@db:3306 with hunter2'); return RESULT; } }],
  });
  m.on((e) => events.push(JSON.stringify(e)));
  await m.run();
  await m[Symbol.asyncDispose]();
  assert.ok(events.length > 0);
  assert.ok(events.every((e) => !e.includes('hunter2')), events.join('\n'));
});
