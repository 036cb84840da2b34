/** The statement's table reference respelled as stored (core/statement/stored-names.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withStoredNames } from '../../core/statement/stored-names.ts';

test('only the table reference changes, quoted or not, qualified or not', () => {
  assert.equal(withStoredNames('ALTER TABLE Orders ADD COLUMN x INT', 'shop', 'orders'), 'ALTER TABLE orders ADD COLUMN x INT');
  assert.equal(withStoredNames('alter table `ORDERS` add x int', 'shop', 'orders'), 'alter table `orders` add x int');
  assert.equal(withStoredNames('ALTER TABLE IF EXISTS Shop.Orders  ADD  Orders INT', 'shop', 'orders'), 'ALTER TABLE IF EXISTS shop.orders  ADD  Orders INT');
  assert.equal(withStoredNames('ALTER TABLE `My Db`.`T` FORCE', 'my db', 't'), 'ALTER TABLE `my db`.`t` FORCE');
  assert.equal(withStoredNames('ALTER TABLE Odd ADD x INT', 's', 'odd-name'), 'ALTER TABLE `odd-name` ADD x INT');
});

test('a statement already spelled as stored is returned unchanged', () => {
  const sql = 'ALTER TABLE /* c */ t ADD COLUMN extra INT NOT NULL DEFAULT 7';
  assert.equal(withStoredNames(sql, 'db', 't'), sql);
});
