import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intKeyValue, parseIntKey, hasIntegerKey } from '../../core/copier/keys.ts';
import { keySpan, MIN_DENSITY } from '../../core/copier/int-chunker.ts';
import { duplicatesFromInfo, warningColumn } from '../../core/copier/warnings.ts';
import type { TableInfo } from '../../core/table/types.ts';

test('integer keys round-trip exactly between BigInt and their KeyTuple form', () => {
  const max = 2n ** 64n - 1n;
  assert.equal(intKeyValue(max), '18446744073709551615');
  assert.equal(intKeyValue(-(2n ** 63n)), '-9223372036854775808');
  assert.equal(intKeyValue(2n ** 53n - 1n), 9007199254740991);
  assert.equal(intKeyValue(2n ** 53n), '9007199254740992');
  for (const v of [0n, -1n, 2n ** 53n, max, max - 1n]) assert.equal(parseIntKey(intKeyValue(v)), v);
  assert.equal(parseIntKey(2 ** 60), null, 'an unsafe number may already have lost precision');
  assert.equal(parseIntKey('12a'), null);
  assert.equal(parseIntKey(Buffer.from('1')), null);
  assert.equal(parseIntKey(7n), 7n);
});

test('only a single integer PK column is comparable in JS', () => {
  const t = (pk: string[], types: Record<string, string>): TableInfo => ({
    schema: 's', name: 't', primaryKey: pk, indexes: [], foreignKeys: [], triggers: [], engine: 'InnoDB', autoIncrement: null, rowsEstimate: 0,
    columns: Object.entries(types).map(([name, dataType]) => ({ name, dataType, columnType: dataType, nullable: false, generated: false, charset: null, collation: null, unsigned: false })),
  });
  assert.equal(hasIntegerKey(t(['id'], { id: 'bigint' })), true);
  assert.equal(hasIntegerKey(t(['id'], { id: 'TINYINT' })), true);
  assert.equal(hasIntegerKey(t(['id'], { id: 'decimal' })), false);
  assert.equal(hasIntegerKey(t(['a', 'b'], { a: 'int', b: 'int' })), false);
  assert.equal(hasIntegerKey(t(['k'], { k: 'varchar' })), false);
});

test('key span follows the density, at most 100x the rows, at least 1', () => {
  assert.equal(keySpan(1000, 1), 1000n);
  assert.equal(keySpan(1000, 0.5), 2000n);
  assert.equal(keySpan(1000, 0.000001), BigInt(Math.ceil(1000 / MIN_DENSITY)));
  assert.equal(keySpan(1000, 7), 1000n, 'unique integer keys cannot be denser than 1');
  assert.equal(keySpan(0, 1), 1n);
  assert.equal(keySpan(10, Number.NaN), 10n);
});

test('the column is read from MariaDB and MySQL warning texts', () => {
  assert.equal(warningColumn("Out of range value for column 'small_v' at row 1"), 'small_v');
  assert.equal(warningColumn("Data truncated for column 'name' at row 3"), 'name');
  assert.equal(warningColumn("Incorrect integer value: 'x' for column `db`.`_t_new`.`qty` at row 1"), 'qty');
  assert.equal(warningColumn("Column 'c' cannot be null"), 'c');
  assert.equal(warningColumn('Division by 0'), null);
  assert.equal(duplicatesFromInfo('Records: 10  Duplicates: 2  Warnings: 3'), 2);
  assert.equal(duplicatesFromInfo(''), null);
});
