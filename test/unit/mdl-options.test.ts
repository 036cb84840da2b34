import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../mod.ts';
import { lockName, MAX_LOCK_NAME_LENGTH, mdlPlugin, MdlOptionError } from '../../plugins/mdl/index.ts';

test('short names are readable: sluice.<schema>.<table>', () => {
  assert.equal(lockName('shop', 'orders'), 'sluice.shop.orders');
});

test('long names are hashed to fit 64 characters, distinct per table', () => {
  const schema = 's'.repeat(64);
  const names = new Set<string>();
  for (const table of ['a'.repeat(64), 'a'.repeat(63) + 'b', 'orders', 'x']) {
    const name = lockName(schema, table);
    assert.ok(name.length <= MAX_LOCK_NAME_LENGTH, `${name} fits`);
    assert.ok(name.startsWith('sluice.'));
    assert.equal(lockName(schema, table), name, 'deterministic');
    names.add(name);
  }
  assert.equal(names.size, 4, 'no collisions');
  // exactly at the limit stays readable; one more is hashed
  const fits = 'sluice.db.'.length;
  assert.equal(lockName('db', 't'.repeat(64 - fits)), `sluice.db.${'t'.repeat(64 - fits)}`);
  assert.notEqual(lockName('db', 't'.repeat(65 - fits)), `sluice.db.${'t'.repeat(65 - fits)}`);
});

test('names with dots are hashed so that a.b + c and a + b.c differ', () => {
  assert.notEqual(lockName('a.b', 'c'), lockName('a', 'b.c'));
  assert.match(lockName('a.b', 'c'), /^sluice\.[0-9a-f]{40}$/);
});

test('mdlPlugin refuses a bad refreshInterval at once, as an InvalidOptionError', () => {
  assert.throws(() => mdlPlugin({ refreshInterval: 'often' }), (e) => e instanceof InvalidOptionError && /refreshInterval/.test((e as Error).message));
  assert.equal(mdlPlugin().name, 'mdl');
});
