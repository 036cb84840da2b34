/** Which binlog statements change the source (core/replay/ddl.ts): the no-op and letter-case cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ddlChangingTable } from '../../core/replay/ddl.ts';

const t = { schema: 'db', name: 't' };

test('CREATE TABLE IF NOT EXISTS on the existing source does nothing; CREATE OR REPLACE and plain CREATE still count', () => {
  for (const sql of ['CREATE TABLE IF NOT EXISTS t (id INT)', 'create table if not exists `db`.`t` like x', 'CREATE TABLE IF NOT EXISTS t SELECT 1 AS id']) {
    assert.equal(ddlChangingTable(sql, 'db', t), null, sql);
  }
  for (const sql of ['CREATE OR REPLACE TABLE t (id INT)', 'CREATE TABLE t (id INT)']) assert.ok(ddlChangingTable(sql, 'db', t), sql);
});

test('under lower_case_table_names 0, a differently-cased name is another table (and schema)', () => {
  const exact = { ...t, lowerCaseTableNames: 0 };
  for (const sql of ['ALTER TABLE T ADD x INT', 'DROP TABLE `T`', 'RENAME TABLE T TO u', 'ALTER TABLE DB.t FORCE', 'DROP DATABASE DB']) {
    assert.equal(ddlChangingTable(sql, 'db', exact), null, sql);
  }
  for (const sql of ['ALTER TABLE t ADD x INT', 'DROP TABLE db.t', 'DROP DATABASE db']) assert.ok(ddlChangingTable(sql, 'db', exact), sql);
});

test('under lower_case_table_names 1 or 2 (or unknown), names compare case-insensitively', () => {
  for (const lc of [1, 2, undefined]) {
    const folded = { schema: 'db', name: 'orders', lowerCaseTableNames: lc };
    assert.ok(ddlChangingTable('ALTER TABLE Orders ADD x INT', 'DB', folded), String(lc));
    assert.ok(ddlChangingTable('TRUNCATE `ORDERS`', 'db', folded), String(lc));
  }
});
