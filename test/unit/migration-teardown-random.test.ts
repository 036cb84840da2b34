/**
 * Randomized cancel/dispose points: hundreds of seeded interleavings of a run that acquires
 * resources and uses them, and a dispose (and sometimes a cancel) at a random moment.
 * A failure prints its seed: rerun with SEED=<seed> to replay the exact schedule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Migration, type Phase } from '../../core/lifecycle/migration.ts';
import { definePlugin } from '../../core/lifecycle/hooks.ts';
import type { PluginContext } from '../../core/lifecycle/context.ts';
import { sleep } from '../../core/lifecycle/abort.ts';
import { DisposeError, MigrationCancelledError, MigrationStateError } from '../../core/errors.ts';
import type { MigrationResult } from '../../core/types.ts';
import { FakeResource } from '../support/fake-resource.ts';
import { baseSeed, seededRandom } from '../support/random.ts';

const ROUNDS = 250;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(seed: number): Promise<{ outcome: string }> {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const journal: string[] = [];
  const acquired: FakeResource[] = [];
  const all: FakeResource[] = [];
  const fatalSeen: unknown[] = [];
  const cancelSeen: unknown[] = [];
  const genuine = new Error(`genuine failure (seed ${seed})`);
  const failAtPhase = rnd() < 0.15 ? int(4) : -1;
  let settled = false;

  const acquire = async (ctx: PluginContext, name: string) => {
    await wait(int(2));
    const r = new FakeResource(name, journal);
    all.push(r);
    await ctx.defer(name, async () => {
      if (!settled) journal.push(`VIOLATION ${name} disposed before the run settled`);
      await r.close(int(2));
    });
    acquired.push(r);
    journal.push(`acquire ${name}`);
  };

  const plugins = Array.from({ length: 1 + int(3) }, (_, i) => definePlugin({
    name: `plugin${i}`,
    setup: async (ctx) => { await acquire(ctx, `plugin${i}-conn`); },
    onError: (_ctx, err) => { fatalSeen.push(err); }, // a plugin that would drop its state here
    onCancel: (_ctx, reason) => { cancelSeen.push(reason); },
  }));

  const phases: Phase[] = Array.from({ length: 3 + int(4) }, (_, p) => ({
    name: `phase${p}`,
    run: async (ctx) => {
      if (rnd() < 0.6) await acquire(ctx, `phase${p}-res`);
      const steps = int(6);
      for (let s = 0; s < steps; s++) {
        const r = acquired[int(acquired.length)];
        if (r) await r.use(int(3)); // in-flight work that does not look at the signal
        if (p === failAtPhase && s === 1 && !ctx.signal.aborted) throw genuine;
        if (rnd() < 0.5) await sleep(int(3), ctx.signal);
        else if (ctx.signal.aborted && rnd() < 0.5) throw new Error('a query failed because the run was aborted');
      }
      if (p === failAtPhase && !ctx.signal.aborted) throw genuine;
    },
  }));
  const result: MigrationResult = { schema: 's', table: 't', mode: 'copy', durationMs: 0, rowsCopied: 0, rowsWritten: 0, rowsSkipped: 0, rowsResumed: 0, chunks: 0, replayEvents: 0, phases: [], resumed: false, cutover: null, warnings: [] };
  phases.push({ name: 'done', run: async () => result });

  const m = new Migration({ phases, plugins });
  const disposeBeforeRun = rnd() < 0.05;
  if (disposeBeforeRun) await m[Symbol.asyncDispose]();
  const run = m.run().then(
    (r) => { settled = true; journal.push('run settled'); return { ok: r } as const; },
    (e: unknown) => { settled = true; journal.push('run settled'); return { err: e } as const; },
  );
  await wait(int(20));
  if (rnd() < 0.3) m.cancel('random cancel');
  const disposals = [m[Symbol.asyncDispose]()];
  if (rnd() < 0.3) disposals.push(m[Symbol.asyncDispose]());
  const disposeResults = await Promise.allSettled(disposals);
  const outcome = await run;

  assert.equal(settled, true, 'dispose returned before the run settled');
  for (const d of disposeResults) {
    if (d.status === 'rejected') assert.ok(d.reason instanceof DisposeError, `unexpected dispose error ${d.reason}`);
  }
  assert.deepEqual(all.flatMap((r) => r.violations), []);
  assert.deepEqual(journal.filter((l) => l.startsWith('VIOLATION')), []);
  assert.ok(all.every((r) => r.closed), 'a resource was never closed');
  const closes = journal.filter((l) => l.startsWith('close ')).map((l) => l.slice(6));
  const acquires = journal.filter((l) => l.startsWith('acquire ')).map((l) => l.slice(8));
  assert.deepEqual(closes, [...acquires].reverse(), 'not disposed in reverse order of acquisition');
  assert.ok(journal.indexOf('run settled') < journal.findIndex((l) => l.startsWith('close ')) || closes.length === 0);

  if (disposeBeforeRun) {
    assert.ok('err' in outcome && outcome.err instanceof MigrationStateError, 'run after dispose must be refused');
    assert.equal(all.length, 0);
    return { outcome: 'refused' };
  }
  if ('err' in outcome && outcome.err instanceof MigrationCancelledError) {
    assert.deepEqual(fatalSeen, [], 'a cancelled run was reported as fatal');
    assert.equal(cancelSeen.length, plugins.length);
    return { outcome: 'cancelled' };
  }
  if ('err' in outcome) {
    assert.equal(outcome.err, genuine);
    assert.deepEqual(fatalSeen, Array(plugins.length).fill(genuine));
    assert.deepEqual(cancelSeen, []);
    return { outcome: 'failed' };
  }
  assert.deepEqual(fatalSeen, []);
  return { outcome: 'completed' };
}

test(`teardown never races a live run (${ROUNDS} seeded random cancel/dispose points)`, async () => {
  const base = baseSeed();
  const counts: Record<string, number> = {};
  for (let i = 0; i < ROUNDS; i++) {
    const seed = base + i;
    try {
      const { outcome } = await scenario(seed);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    } catch (err) {
      throw new Error(`round ${i} failed; replay with SEED=${seed} (and ROUNDS starts at it): ${(err as Error).message}`, { cause: err });
    }
  }
  // the mix must actually exercise every path, or the test proves little
  assert.ok((counts.cancelled ?? 0) > ROUNDS / 4, JSON.stringify(counts));
  assert.ok((counts.failed ?? 0) > 0 && (counts.completed ?? 0) > 0, JSON.stringify(counts));
  console.log(`base seed ${base}: ${JSON.stringify(counts)}`);
});
