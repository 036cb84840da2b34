/** Derived table names (core/table/names.ts): short names plain, long names cut to 64 and kept unique. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_IDENTIFIER_LENGTH, checkpointTableName, oldTableName, shadowTableName,
} from '../../core/table/names.ts';

const derivers = { new: shadowTableName, old: oldTableName, chkpnt: checkpointTableName } as const;

test('short names are `_<t>_<suffix>`, unchanged', () => {
  assert.equal(shadowTableName('users'), '_users_new');
  assert.equal(oldTableName('users'), '_users_old');
  assert.equal(checkpointTableName('users'), '_users_chkpnt');
  assert.equal(shadowTableName('we.ird`t'), '_we.ird`t_new');
  assert.equal(shadowTableName('Ünïcødé'), '_Ünïcødé_new');
});

test('the limit is 64 characters, and a name that just fits is not cut', () => {
  assert.equal(MAX_IDENTIFIER_LENGTH, 64);
  for (const [suffix, derive] of Object.entries(derivers)) {
    const fits = 'a'.repeat(64 - suffix.length - 2);
    assert.equal(derive(fits), `_${fits}_${suffix}`);
    assert.equal(derive(fits).length, 64);
    const over = `${fits}b`;
    const cut = derive(over);
    assert.equal(cut.length, 64, `${suffix}: ${cut}`);
    assert.notEqual(cut, `_${over}_${suffix}`.slice(0, 64));
    assert.ok(cut.startsWith('_aaaa') && cut.endsWith(`_${suffix}`), cut);
  }
});

test('every derived name of any table name up to 64 characters fits in 64 (counted in characters)', () => {
  for (let len = 1; len <= 64; len++) {
    for (const ch of ['x', 'é', '表']) {
      const table = ch.repeat(len);
      for (const derive of Object.values(derivers)) {
        const name = derive(table);
        assert.ok([...name].length <= MAX_IDENTIFIER_LENGTH, `${len}×${ch}: ${name}`);
      }
    }
  }
});

test('truncated names stay unique: long names sharing their first 60 characters differ', () => {
  const prefix = 'customer_order_line_item_archive_partition_by_month_and_year_'.padEnd(60, 'z');
  const tables = Array.from({ length: 500 }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  for (const derive of Object.values(derivers)) {
    const names = tables.map(derive);
    assert.equal(new Set(names).size, tables.length);
    for (const n of names) assert.equal(n.length, 64);
  }
});

test('derived names are deterministic, and the three roles never collide for one table', () => {
  for (const table of ['t', 'x'.repeat(64), 'y'.repeat(58)]) {
    assert.equal(shadowTableName(table), shadowTableName(table));
    const all = [shadowTableName(table), oldTableName(table), checkpointTableName(table)];
    assert.equal(new Set(all).size, 3, all.join(' '));
    assert.ok(!all.includes(table));
  }
});
