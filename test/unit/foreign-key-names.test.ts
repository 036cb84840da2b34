import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shadowConstraintName, underscoreName } from '../../core/shadow/foreign-keys.ts';

test('a server-generated constraint name follows the shadow table, so the RENAME gives it back', () => {
  assert.equal(shadowConstraintName('orders', '_orders_new', 'orders_ibfk_1'), '_orders_new_ibfk_1');
  assert.equal(shadowConstraintName('orders', '_orders_new', 'orders_ibfk_12'), '_orders_new_ibfk_12');
  // Only the exact generated form: another table's generated name is a name like any other.
  assert.equal(shadowConstraintName('orders', '_orders_new', 'items_ibfk_1'), '_items_ibfk_1');
  assert.equal(shadowConstraintName('o.rders', '_o.rders_new', 'oxrders_ibfk_1'), '_oxrders_ibfk_1');
});

test("other names take pt-osc's scheme: one underscore more, or two fewer; never over 64 characters", () => {
  assert.equal(shadowConstraintName('t', '_t_new', 'fk_t_p'), '_fk_t_p');
  assert.equal(shadowConstraintName('t', '_t_new', '_fk'), '__fk');
  assert.equal(shadowConstraintName('t', '_t_new', '__fk'), 'fk');
  assert.equal(underscoreName('t_ibfk_1'), '_t_ibfk_1');
  const long = 'x'.repeat(64);
  const cut = shadowConstraintName('t', '_t_new', long);
  assert.equal(cut.length, 64);
  assert.match(cut, /^_x+_[0-9a-f]{8}$/);
  assert.notEqual(cut, shadowConstraintName('t', '_t_new', `${'x'.repeat(63)}y`));
  // A generated name whose shadow form would exceed 64 characters falls back to the underscore.
  const t = 'a'.repeat(56);
  assert.equal(shadowConstraintName(t, `_${t}_new`, `${t}_ibfk_1`), `_${t}_ibfk_1`);
});
