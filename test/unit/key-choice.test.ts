import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseKey, type NewTable } from '../../core/preflight/key-choice.ts';
import { KeyColumnChangeError, NoUsableKeyError } from '../../mod.ts';
import { keyPart } from '../../core/table/key.ts';
import { keyRange } from '../../core/copier/key-range.ts';
import type { ColumnInfo, IndexInfo, TableInfo } from '../../core/table/types.ts';

const col = (name: string, columnType = 'int(11)', nullable = false): ColumnInfo => ({
  name, columnType, dataType: /^\w+/.exec(columnType)![0], nullable, generated: false, charset: null, collation: null, unsigned: false,
});
const idx = (name: string, columns: string[], unique = true): IndexInfo => ({ name, unique, columns });
const table = (columns: ColumnInfo[], indexes: IndexInfo[]): TableInfo => ({
  schema: 's', name: 't', columns, indexes, primaryKey: indexes.find((i) => i.name === 'PRIMARY')?.columns ?? [],
  foreignKeys: [], triggers: [], engine: 'InnoDB', autoIncrement: null, rowsEstimate: 0,
});
const after = (columns: ColumnInfo[], indexes: IndexInfo[]): NewTable => ({ columns, indexes });

const cols = [col('id'), col('i'), col('code', 'varchar(10)'), col('v', 'int(11)', true)];

test('the primary key when it qualifies', () => {
  const t = table(cols, [idx('PRIMARY', ['id']), idx('uk', ['code'])]);
  assert.deepEqual(chooseKey(t, t), { columns: ['id'], index: 'PRIMARY', shadowIndex: 'PRIMARY' });
});

test('a widened primary key: (id) -> (id, i), walked along the old PRIMARY', () => {
  const t = table(cols, [idx('PRIMARY', ['id'])]);
  assert.deepEqual(chooseKey(t, after(cols, [idx('PRIMARY', ['i', 'id'])])), { columns: ['id', 'i'], index: 'PRIMARY', shadowIndex: 'PRIMARY' });
});

test('the primary key swapped with a unique key: the unique key is chosen', () => {
  const t = table(cols, [idx('PRIMARY', ['id']), idx('uk', ['code'])]);
  const key = chooseKey(t, after(cols, [idx('PRIMARY', ['code']), idx('by_id', ['id'], false)]));
  assert.deepEqual(key, { columns: ['code'], index: 'uk', shadowIndex: 'PRIMARY' });
});

test('a table without a primary key migrates by a NOT NULL unique key; a nullable one is not considered usable', () => {
  const t = table(cols, [idx('u_null', ['v']), idx('uk', ['code'])]);
  assert.deepEqual(chooseKey(t, t), { columns: ['code'], index: 'uk', shadowIndex: 'uk' });
  const only = table(cols, [idx('u_null', ['v'])]);
  assert.throws(() => chooseKey(only, only), (e: unknown) => e instanceof NoUsableKeyError && /UNIQUE u_null \(v\): column v allows NULL/.test(e.message));
});

test('refusals name every key considered and why it fails', () => {
  const t = table([...cols, col('f', 'double')], [idx('PRIMARY', ['id']), idx('uf', ['f'])]);
  // PRIMARY dropped and replaced by (f); (id) no longer unique in the new table.
  const next = after([...cols, col('f', 'double')], [idx('PRIMARY', ['f'])]);
  assert.throws(() => chooseKey(t, next), (e: unknown) => {
    assert.ok(e instanceof NoUsableKeyError, String(e));
    assert.equal(e.code, 'NO_USABLE_KEY');
    assert.match(e.message, /PRIMARY KEY \(id\): no unique key of the new table contains \(id\)/);
    assert.match(e.message, /UNIQUE uf \(f\) with the new PRIMARY KEY \(f\): column f is double: approximate values do not read back exactly/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  const none = table(cols, []);
  assert.throws(() => chooseKey(none, none), /has no PRIMARY KEY and no UNIQUE key/);
});

test('the ALTER may not change the key columns values: dropped, renamed, added, nullable or retyped key columns', () => {
  const t = table(cols, [idx('PRIMARY', ['id'])]);
  const gone = cols.filter((c) => c.name !== 'id');
  assert.throws(() => chooseKey(t, after(gone, [])), /the ALTER drops column id/);
  assert.throws(() => chooseKey(t, after(cols, [idx('PRIMARY', ['id'])]), new Map([['id', 'item']])), /renames column id to item/);
  assert.throws(() => chooseKey(t, after([...cols, col('n')], [idx('PRIMARY', ['id', 'n'])])), /column n is added by the ALTER/);
  assert.throws(() => chooseKey(t, after(cols, [idx('PRIMARY', ['id', 'v'])])), /column v allows NULL in the old table/);
  assert.throws(() => chooseKey(t, after([col('id', 'varchar(5)'), ...cols.slice(1)], [idx('PRIMARY', ['id'])])), KeyColumnChangeError);
  assert.deepEqual(chooseKey(t, after([col('id', 'bigint(20)'), ...cols.slice(1)], [idx('PRIMARY', ['id'])])).columns, ['id']);
});

test('ENUM keys bound by member index, DECIMAL bounds as DECIMAL, temporal bounds in their type', () => {
  const e = keyPart(col('e', "enum('z','a,b','it''s','m')"));
  assert.equal(e.read, '`e`+0');
  assert.equal(e.ref, '`e`');
  assert.equal(e.members, 4);
  const d = keyPart(col('d', 'decimal(20,6)'));
  // ENUM inequalities as IN lists of member indexes (a range scan on MariaDB), never string order.
  const range = keyRange([e, d], [2, '12000000000000.000001'], [4, '12000000000000.000002'])!;
  assert.equal(range.sql, '(`e` IN (3, 4) OR (`e` = ? AND `d` > CAST(? AS DECIMAL(20,6)))) AND (`e` IN (0, 1, 2, 3) OR (`e` = ? AND `d` <= CAST(? AS DECIMAL(20,6))))');
  assert.deepEqual(range.values, [2, '12000000000000.000001', 4, '12000000000000.000002']);
  assert.equal(keyRange([e], [4], null)!.sql, '0 = 1');
  assert.equal(keyRange([keyPart(col('s', "set('a','b')"))], [3], null)!.sql, '`s` > ?');
  assert.equal(keyPart(col('t', 'datetime(3)')).bound, 'CAST(? AS DATETIME(6))');
  assert.equal(keyPart(col('t', 'date')).bound, 'CAST(? AS DATE)');
  assert.equal(keyPart(col('t', 'timestamp(3)')).bound, '?');
});
