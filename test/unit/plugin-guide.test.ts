/**
 * docs/plugins.md against the code: every hook and token the guide names exists in the exported
 * API, and every exported hook and token is in the guide. Also the guide's lifecycle promises that
 * need no server (the rest are in test/integration/examples-testing.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as api from '../../mod.ts';
import { DisposeError, HOOK_NAMES, MigrationCancelledError, Migration, Tokens, type HookName, type MigrationEvent, type MigrationResult, type SluicePlugin } from '../../mod.ts';
import type { Phase } from '../../core/lifecycle/migration.ts';

const guide = readFileSync(new URL('../../docs/plugins.md', import.meta.url), 'utf8');

/** Every hook of PluginHooks, checked by the compiler: adding a hook to the type without listing it here fails typecheck. */
const EVERY_HOOK: Record<HookName, true> = {
  setup: true, preflight: true, resume: true, beforeCopy: true, beforeChunk: true, afterChunk: true, progress: true,
  afterCopy: true, verify: true, beforeCutover: true, afterCutover: true, onSuccess: true, onError: true, onCancel: true, dispose: true,
};

/** The first cells (in backticks) of the table under a `## heading` of the guide. */
function tableKeys(heading: string): string[] {
  const start = guide.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/plugins.md has no "## ${heading}" section`);
  const end = guide.indexOf('\n## ', start + 1);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
}

test('the guide\'s lifecycle table lists exactly the exported hooks, in HOOK_NAMES order', () => {
  assert.deepEqual([...HOOK_NAMES].sort(), Object.keys(EVERY_HOOK).sort(), 'HOOK_NAMES and PluginHooks differ');
  assert.deepEqual(tableKeys('The lifecycle'), [...HOOK_NAMES]);
});

test('every hook-like name in the guide is a real hook', () => {
  const hookLike = /^(setup|preflight|resume|progress|verify|dispose|(before|after|on)[A-Z][A-Za-z]*)$/;
  const named = new Set([...guide.matchAll(/`([A-Za-z]+)(?:\(\))?`/g)].map((m) => m[1]!).filter((w) => hookLike.test(w)));
  const misspelt = [...named].filter((w) => !(w in EVERY_HOOK) && w !== 'beforeCutOver'); // the guide quotes one misspelling on purpose
  assert.deepEqual(misspelt, []);
  for (const hook of HOOK_NAMES) assert.ok(named.has(hook), `the guide never names ${hook}`);
});

/** Tokens exported besides Tokens.*: every symbol export of the package (e.g. the throttler's ManualPause). */
const otherTokens = Object.entries(api).filter(([, v]) => typeof v === 'symbol').map(([k]) => k);

test('the guide\'s token table lists exactly the exported tokens', () => {
  assert.ok(otherTokens.includes('ManualPause'));
  const exported = [...Object.keys(Tokens).map((k) => `Tokens.${k}`), ...otherTokens].sort();
  assert.deepEqual([...tableKeys('Services by token')].sort(), exported);
});

test('every Tokens.X the guide mentions exists', () => {
  const mentioned = new Set([...guide.matchAll(/Tokens\.([A-Za-z]+)/g)].map((m) => m[1]!));
  assert.deepEqual([...mentioned].filter((k) => !(k in Tokens)), []);
});

// ---- lifecycle promises of the guide, on a Migration with stand-in phases ----

const RESULT: MigrationResult = { schema: 's', table: 't', mode: 'copy', durationMs: 1, rowsCopied: 0, rowsWritten: 0, rowsSkipped: 0, rowsResumed: 0, chunks: 0, replayEvents: 0, phases: [], resumed: false, cutover: null, warnings: [] };

function migrationWith(plugins: SluicePlugin[], work: Phase['run']): { m: Migration; events: MigrationEvent[] } {
  const m = new Migration({ phases: [{ name: 'work', run: work }, { name: 'end', run: async () => RESULT }], plugins });
  const events: MigrationEvent[] = [];
  m.on((e) => events.push(e));
  return { m, events };
}

test('onError and onCancel run on every plugin even when one throws (its throw becomes a warning)', async () => {
  for (const [hook, fail] of [['onError', () => new Error('boom')], ['onCancel', () => new MigrationCancelledError('stop')]] as const) {
    const seen: string[] = [];
    const plugins = ['a', 'b', 'c'].map((name) => ({
      name,
      [hook]: () => { seen.push(name); if (name === 'a') throw new Error(`${name} ${hook} failed`); },
    }));
    const { m, events } = migrationWith(plugins, async () => { throw fail(); });
    const err = await m.run().catch((e: unknown) => e);
    assert.ok(hook === 'onCancel' ? err instanceof MigrationCancelledError : (err as Error).message === 'boom');
    assert.deepEqual(seen, ['a', 'b', 'c'], hook);
    assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes(`a ${hook} failed`)), hook);
    await m[Symbol.asyncDispose]();
  }
});

test('a hook throwing MigrationCancelledError cancels the run: onCancel, never onError', async () => {
  const seen: string[] = [];
  const gate: SluicePlugin = { name: 'gate', beforeCutover: () => { throw new MigrationCancelledError('no approval'); }, onError: () => { seen.push('onError'); }, onCancel: () => { seen.push('onCancel'); } };
  const { m } = migrationWith([gate], (ctx) => ctx.hooks.call(ctx, 'beforeCutover'));
  await assert.rejects(m.run(), (e) => e instanceof MigrationCancelledError && /no approval/.test(e.message));
  assert.deepEqual(seen, ['onCancel']);
  await m[Symbol.asyncDispose]();
});

test('the first throw stops a hook: later plugins\' same hook never runs; resume: the first point wins', async () => {
  const seen: string[] = [];
  const veto: SluicePlugin = { name: 'veto', beforeCutover: () => { seen.push('veto'); throw new Error('vetoed'); } };
  const later: SluicePlugin = { name: 'later', beforeCutover: () => { seen.push('later'); } };
  const { m } = migrationWith([veto, later], (ctx) => ctx.hooks.call(ctx, 'beforeCutover'));
  await assert.rejects(m.run(), /vetoed/);
  assert.deepEqual(seen, ['veto']);
  await m[Symbol.asyncDispose]();

  const asked: string[] = [];
  const point = { lowWatermark: null, binlog: { file: 'b.000001', position: 4 }, rowsCopied: 0 };
  const offer = (name: string, value: typeof point | undefined): SluicePlugin => ({ name, resume: () => { asked.push(name); return value; } });
  let chosen: unknown;
  const r = migrationWith([offer('none', undefined), offer('mine', point), offer('never', point)], async (ctx) => { chosen = await ctx.hooks.resume(ctx); });
  await r.m.run();
  assert.equal(chosen, point);
  assert.deepEqual(asked, ['none', 'mine']);
  await r.m[Symbol.asyncDispose]();
});

test('a throwing dispose hook or disposer: every other one still runs, in reverse order; one DisposeError names each', async () => {
  const order: string[] = [];
  const plugin = (name: string, fails: boolean): SluicePlugin => ({
    name,
    async setup(ctx) { await ctx.defer(`${name} socket`, () => { order.push(`${name} socket`); }); },
    dispose() { order.push(`${name} dispose`); if (fails) throw new Error(`${name} dispose failed`); },
  });
  const { m } = migrationWith([plugin('first', false), plugin('second', true)], async (ctx) => {
    await ctx.defer('pool', () => { order.push('pool'); throw new Error('pool end failed'); });
  });
  await m.run();
  const err = await m[Symbol.asyncDispose]().catch((e: unknown) => e);
  assert.deepEqual(order, ['pool', 'second socket', 'second dispose', 'first socket', 'first dispose']);
  assert.ok(err instanceof DisposeError);
  assert.deepEqual(err.errors.map((e) => [(e as Error).message, (e as { disposer?: string }).disposer]),
    [['pool end failed', 'pool'], ['second dispose failed', 'plugin second']]);
  assert.equal(err.runError, undefined);
});

test('an onSuccess hook that throws is only a warning: done is done', async () => {
  const { m, events } = migrationWith([{ name: 'p', onSuccess: () => { throw new Error('webhook down'); } }], async () => undefined);
  const result = await m.run();
  assert.deepEqual({ ...result, warnings: [], phases: [] }, RESULT, 'the run is done');
  assert.deepEqual(result.phases.map((p) => p.phase), ['work', 'end'], 'each phase is timed, in order');
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /plugin p: onSuccess failed after the migration completed: .*webhook down/);
  assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes('webhook down')));
  await m[Symbol.asyncDispose]();
});
