/** inspectTable on real tables (the sandbox MariaDB, or SLUICE_TEST_DSN). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'mysql2/promise';
import { openPool, queryRows } from '../../core/connection/connection.ts';
import { inspectTable, readAutoIncrement } from '../../core/table/inspect.ts';
import { NotABaseTableError, TableNotFoundError } from '../../core/table/errors.ts';
import { SluiceError } from '../../core/errors.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

const DB = 'table_inspect';
const OTHER_DB = 'table_inspect_other';
let admin: Pool; // plain application pool for DDL and independent reads
let sluice: Pool; // a Sluice-configured pool, as the engine would use

before(async () => {
  admin = await freshDatabase(DB);
  await admin.query(`DROP DATABASE IF EXISTS ${OTHER_DB}`);
  await admin.query(`CREATE DATABASE ${OTHER_DB}`);
  sluice = openPool(testConnection(DB), undefined, 2);
});

after(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${OTHER_DB}`);
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.end();
  await sluice.end();
});

test('columns, composite PK in key order, unique and plain indexes, generated columns, charsets, unsigned, AUTO_INCREMENT', async () => {
  await admin.query(`CREATE TABLE orders (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant SMALLINT NOT NULL,
    name VARCHAR(40) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL,
    note TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL,
    qty INT UNSIGNED NOT NULL DEFAULT 0,
    price DECIMAL(10,2) NOT NULL,
    total_v DECIMAL(20,2) AS (qty * price) VIRTUAL,
    total_s DECIMAL(20,2) AS (qty * price) STORED,
    total_p DECIMAL(20,2) AS (qty * price) PERSISTENT,
    created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant, id),
    UNIQUE KEY uq_id (id),
    UNIQUE KEY uq_name (name, tenant),
    KEY idx_created (created),
    KEY idx_multi (price, qty, name)
  ) ENGINE=InnoDB AUTO_INCREMENT=1000`);
  await admin.query(`INSERT INTO orders (tenant, name, qty, price) VALUES (1, 'a', 1, 2.5), (1, 'b', 2, 3), (2, 'a', 3, 4)`);
  await admin.query('DELETE FROM orders WHERE id = (SELECT m FROM (SELECT MAX(id) AS m FROM orders) x)');

  const info = await inspectTable(sluice, DB, 'orders');
  assert.equal(info.schema, DB);
  assert.equal(info.name, 'orders');
  assert.equal(info.engine, 'InnoDB');
  assert.equal(typeof info.rowsEstimate, 'number');

  // Independent: the server's own column list, in ordinal order.
  const [desc] = await admin.query(`SHOW FULL COLUMNS FROM orders`);
  assert.deepEqual(info.columns.map((c) => c.name), (desc as { Field: string }[]).map((r) => r.Field));

  const col = (n: string) => info.columns.find((c) => c.name === n)!;
  assert.deepEqual(info.columns.filter((c) => c.generated).map((c) => c.name), ['total_v', 'total_s', 'total_p']);
  assert.equal(col('created').generated, false, 'a DEFAULT/ON UPDATE CURRENT_TIMESTAMP column is not generated');
  assert.deepEqual(info.columns.filter((c) => c.unsigned).map((c) => c.name), ['id', 'qty']);
  assert.equal(col('id').dataType, 'bigint');
  assert.match(col('id').columnType, /^bigint(\(20\))? unsigned$/);
  assert.equal(col('price').columnType, 'decimal(10,2)');
  assert.deepEqual([col('name').charset, col('name').collation], ['latin1', 'latin1_swedish_ci']);
  assert.deepEqual([col('note').charset, col('note').collation], ['utf8mb4', 'utf8mb4_unicode_ci']);
  assert.deepEqual([col('qty').charset, col('qty').collation], [null, null]);
  assert.equal(col('note').nullable, true);
  assert.equal(col('name').nullable, false);

  assert.deepEqual(info.primaryKey, ['tenant', 'id']);
  assert.deepEqual(info.indexes, [
    { name: 'PRIMARY', unique: true, columns: ['tenant', 'id'] },
    { name: 'idx_created', unique: false, columns: ['created'] },
    { name: 'idx_multi', unique: false, columns: ['price', 'qty', 'name'] },
    { name: 'uq_id', unique: true, columns: ['id'] },
    { name: 'uq_name', unique: true, columns: ['name', 'tenant'] },
  ]);
  assert.deepEqual(info.foreignKeys, []);
  assert.deepEqual(info.triggers, []);

  // The counter, not MAX(id)+1: the top row was deleted. Checked against the server's own report.
  const [{ ai, maxId }] = await queryRows<{ ai: string; maxId: string }>(admin,
    `SELECT (SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders') AS ai,
            (SELECT MAX(id) FROM orders) AS maxId`, [DB]);
  assert.equal(info.autoIncrement, Number(ai));
  assert.equal(info.autoIncrement, 1003);
  assert.ok(info.autoIncrement! > Number(maxId) + 1);
});

test('AUTO_INCREMENT: null without such a column, 1 on a fresh table, exact beyond 2^53', async () => {
  await admin.query('CREATE TABLE no_ai (id INT PRIMARY KEY)');
  await admin.query('CREATE TABLE fresh_ai (id INT AUTO_INCREMENT PRIMARY KEY)');
  await admin.query('CREATE TABLE big_ai (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY) AUTO_INCREMENT=9007199254740993');
  assert.equal((await inspectTable(sluice, DB, 'no_ai')).autoIncrement, null);
  assert.equal((await inspectTable(sluice, DB, 'fresh_ai')).autoIncrement, 1);
  assert.equal(await readAutoIncrement(sluice, DB, 'big_ai'), 9007199254740993n);
  await admin.query('INSERT INTO big_ai () VALUES ()');
  const [{ id }] = await queryRows<{ id: string }>(admin, 'SELECT id FROM big_ai');
  assert.equal(await readAutoIncrement(sluice, DB, 'big_ai'), BigInt(id) + 1n);
});

test('foreign keys in both roles, across schemas and self-referencing', async () => {
  await admin.query('CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(20))');
  await admin.query(`CREATE TABLE purchases (id INT PRIMARY KEY, customer_id INT,
    CONSTRAINT fk_purchase_customer FOREIGN KEY (customer_id) REFERENCES customers (id))`);
  await admin.query(`CREATE TABLE ${OTHER_DB}.invoices (id INT PRIMARY KEY, customer_id INT,
    CONSTRAINT fk_invoice_customer FOREIGN KEY (customer_id) REFERENCES ${DB}.customers (id))`);
  await admin.query(`CREATE TABLE employees (id INT PRIMARY KEY, manager_id INT,
    CONSTRAINT fk_manager FOREIGN KEY (manager_id) REFERENCES employees (id))`);

  assert.deepEqual((await inspectTable(sluice, DB, 'customers')).foreignKeys, [
    { name: 'fk_invoice_customer', role: 'parent', otherTable: `${OTHER_DB}.invoices` },
    { name: 'fk_purchase_customer', role: 'parent', otherTable: 'purchases' },
  ]);
  assert.deepEqual((await inspectTable(sluice, DB, 'purchases')).foreignKeys, [
    { name: 'fk_purchase_customer', role: 'child', otherTable: 'customers' },
  ]);
  assert.deepEqual((await inspectTable(sluice, OTHER_DB, 'invoices')).foreignKeys, [
    { name: 'fk_invoice_customer', role: 'child', otherTable: `${DB}.customers` },
  ]);
  assert.deepEqual((await inspectTable(sluice, DB, 'employees')).foreignKeys, [
    { name: 'fk_manager', role: 'child', otherTable: 'employees' },
    { name: 'fk_manager', role: 'parent', otherTable: 'employees' },
  ]);
});

test('triggers on the table, and only on it', async () => {
  await admin.query('CREATE TABLE audited (id INT PRIMARY KEY, v INT)');
  await admin.query('CREATE TABLE audit_log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(20))');
  await admin.query(`CREATE TRIGGER audited_bi BEFORE INSERT ON audited FOR EACH ROW SET NEW.v = COALESCE(NEW.v, 0)`);
  await admin.query(`CREATE TRIGGER audited_au AFTER UPDATE ON audited FOR EACH ROW INSERT INTO audit_log (msg) VALUES ('u')`);
  await admin.query(`CREATE TRIGGER audit_log_bi BEFORE INSERT ON audit_log FOR EACH ROW SET NEW.msg = UPPER(NEW.msg)`);
  const info = await inspectTable(sluice, DB, 'audited');
  assert.deepEqual([...info.triggers].sort(), ['audited_au', 'audited_bi']);
  assert.deepEqual((await inspectTable(sluice, DB, 'audit_log')).triggers, ['audit_log_bi']);
});

test('a missing table or schema is TableNotFoundError; a view or a sequence is refused', async () => {
  for (const [schema, table] of [[DB, 'nope'], ['table_inspect_missing_db', 'orders']] as const) {
    await assert.rejects(inspectTable(sluice, schema, table), (err: unknown) => {
      assert.ok(err instanceof TableNotFoundError && err instanceof SluiceError);
      assert.equal(err.code, 'TABLE_NOT_FOUND');
      assert.ok(err.message.includes(`\`${schema}\`.\`${table}\``), err.message);
      assert.match(err.message, /--database/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
  await admin.query('CREATE TABLE base_for_view (id INT PRIMARY KEY)');
  await admin.query('CREATE VIEW a_view AS SELECT id FROM base_for_view');
  await assert.rejects(inspectTable(sluice, DB, 'a_view'), (err: unknown) => {
    assert.ok(err instanceof NotABaseTableError);
    assert.equal(err.code, 'NOT_A_BASE_TABLE');
    assert.match(err.message, /VIEW/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  const [flavor] = await queryRows<{ v: string }>(admin, 'SELECT VERSION() AS v');
  if (/mariadb/i.test(flavor!.v)) {
    await admin.query('CREATE SEQUENCE a_sequence');
    await assert.rejects(inspectTable(sluice, DB, 'a_sequence'), NotABaseTableError);
  }
});

test('names are matched exactly: case-distinct tables, and names with dots and backticks', async () => {
  const [{ lc }] = await queryRows<{ lc: string }>(admin, 'SELECT @@lower_case_table_names AS lc');
  if (Number(lc) === 0) {
    await admin.query('CREATE TABLE Mixed (upper_id INT PRIMARY KEY)');
    await admin.query('CREATE TABLE mixed (lower_id INT PRIMARY KEY, extra INT)');
    const upper = await inspectTable(sluice, DB, 'Mixed');
    const lower = await inspectTable(sluice, DB, 'mixed');
    assert.deepEqual(upper.columns.map((c) => c.name), ['upper_id']);
    assert.deepEqual(lower.columns.map((c) => c.name), ['lower_id', 'extra']);
    assert.deepEqual(upper.primaryKey, ['upper_id']);
    await assert.rejects(inspectTable(sluice, DB, 'MIXED'), TableNotFoundError);
  } else {
    // The server folds names: the user's spelling finds the stored table.
    await admin.query('CREATE TABLE Mixed (upper_id INT PRIMARY KEY)');
    const info = await inspectTable(sluice, DB, 'MIXED');
    assert.deepEqual(info.columns.map((c) => c.name), ['upper_id']);
  }
  const weird = 'we.ird`name';
  await admin.query('CREATE TABLE `we.ird``name` (`k``ey` INT PRIMARY KEY, `a.b` INT, UNIQUE KEY `u.x` (`a.b`))');
  const info = await inspectTable(sluice, DB, weird);
  assert.equal(info.name, weird);
  assert.deepEqual(info.primaryKey, ['k`ey']);
  assert.deepEqual(info.indexes.map((i) => i.name), ['PRIMARY', 'u.x']);
});
