/**
 * The options reference of docs/plugins.md is what scripts/plugin-options-doc.ts renders from the
 * option types: an option added, removed, retyped or redocumented without `npm run docs:options`
 * fails here. And the renderer reads what the plugins really accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GUIDE, guideBlock, OPTION_BLOCKS, readOptions, renderBlock } from '../../scripts/plugin-options-doc.ts';
import { createMigration, type SluiceOptions } from '../../mod.ts';

test('each options table in the guide is the one generated from the types (npm run docs:options)', () => {
  const guide = readFileSync(GUIDE, 'utf8');
  for (const block of OPTION_BLOCKS) {
    const current = guideBlock(guide, block.id);
    assert.ok(current, `docs/plugins.md has no options:${block.id} block`);
    assert.equal(current, renderBlock(block), `the ${block.id} options in docs/plugins.md are stale: run npm run docs:options`);
  }
});

test("the reference's option names are the ones the built-in plugins validate", async () => {
  const names = (id: string) => readOptions(OPTION_BLOCKS.find((b) => b.id === id)!.file, OPTION_BLOCKS.find((b) => b.id === id)!.type).map((o) => o.name);
  assert.deepEqual(names('mdl'), ['refreshInterval']);
  assert.ok(names('throttler').includes('maxLoad') && names('checkpoint').includes('strict') && names('checksum').includes('maxPasses'));
  // A wrong value of each documented duration option is refused by its plugin: the names are the real ones.
  const base = { connection: { user: 'u' }, statement: 'ALTER TABLE t ADD COLUMN c INT' };
  const wrong: Array<[string, Partial<SluiceOptions>]> = [
    ['lock.refreshInterval', { lock: { refreshInterval: 'soon' } }],
    ['checkpoint.interval', { checkpoint: { interval: 'soon' } }],
    ['checkpoint.maxAge', { checkpoint: { maxAge: 'soon' } }],
    ['throttle.interval', { throttle: { interval: 'soon' } }],
    ['throttle.maxReplicaLag', { throttle: { maxReplicaLag: 'soon' } }],
    ['checksum.snapshotMaxAge', { checksum: { snapshotMaxAge: 'soon' } }],
  ];
  for (const [option, options] of wrong) {
    const [key, name] = option.split('.') as [string, string];
    const block = OPTION_BLOCKS.find((b) => b.key === key)!;
    assert.ok(readOptions(block.file, block.type).some((o) => o.name === name), `${option} is not in the reference`);
    await assert.rejects(createMigration({ ...base, ...options }), new RegExp(name), option);
  }
});
