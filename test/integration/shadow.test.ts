/** The shadow table on a real server: create/alter/carry AUTO_INCREMENT/map, failures leave nothing. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool } from 'mysql2/promise';
import { openPool, queryRows } from '../../core/connection/connection.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import { shadowTableName } from '../../core/table/names.ts';
import type { TableInfo } from '../../core/table/types.ts';
import type { AlterClause, ParsedAlter } from '../../core/statement/types.ts';
import { createShadowTable, dropShadowTable, loadShadowTable, type ShadowTable } from '../../core/shadow/shadow.ts';
import { mapColumns } from '../../core/shadow/mapping.ts';
import {
  AlterRejectedError, ShadowPrimaryKeyError, ShadowTableExistsError, UnsafeShadowAlterError,
} from '../../core/shadow/errors.ts';
import { NoUsableKeyError } from '../../core/preflight/errors.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

const DB = 'shadow_test';
let admin: Pool; // plain application pool: setup and independent reads
let sluice: Pool; // Sluice session (strict sql_mode): what the engine uses

before(async () => {
  admin = await freshDatabase(DB);
  sluice = openPool(testConnection(DB), undefined, 2);
});

after(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.end();
  await sluice.end();
});

/** A hand-built ParsedAlter (the parser is another module). */
function alter(table: string, spec: string, renamed: Record<string, string> = {}, clauses: AlterClause[] = []): ParsedAlter {
  return { schema: undefined, table, spec, clauses, renamedColumns: new Map(Object.entries(renamed)) };
}

const id = (name: string) => mysql.escapeId(name, true);

async function tableExists(name: string): Promise<boolean> {
  const rows = await queryRows<{ n: string }>(admin,
    'SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [DB, name]);
  return rows.some((r) => r.n === name);
}

/** Copies every row the way the copier does: INSERT INTO shadow (target) SELECT source FROM t. */
async function copyAll(source: TableInfo, shadow: ShadowTable): Promise<void> {
  const target = shadow.mapping.target.map(id).join(', ');
  const from = shadow.mapping.source.map(id).join(', ');
  await sluice.query(`INSERT INTO ${id(shadow.name)} (${target}) SELECT ${from} FROM ${id(source.name)}`);
}

async function rows(sql: string): Promise<unknown[]> {
  return (await queryRows(admin, sql)).map((r) => ({ ...r }));
}

/** Rows with every value as text: an expression's type (BIGINT, as a string) differs from a column's INT. */
async function textRows(sql: string): Promise<unknown[]> {
  return (await queryRows(admin, sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
}

test('ADD COLUMN with a default: mapped by name, the new column added and filled with its default', async () => {
  await admin.query('CREATE TABLE t_add (id INT AUTO_INCREMENT PRIMARY KEY, a VARCHAR(10), b DATETIME(6))');
  await admin.query(`INSERT INTO t_add (a, b) VALUES ('x', '2024-01-02 03:04:05.123456'), (NULL, NULL), ('héllo', '1999-12-31 23:59:59.000001')`);
  const source = await inspectTable(sluice, DB, 't_add');
  const shadow = await createShadowTable(sluice, source, alter('t_add', "ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'new'"));
  assert.equal(shadow.name, '_t_add_new');
  assert.deepEqual(shadow.mapping, { source: ['id', 'a', 'b'], target: ['id', 'a', 'b'] });
  assert.deepEqual(shadow.added, ['status']);
  assert.deepEqual(shadow.dropped, []);
  assert.deepEqual(shadow.info.columns.map((c) => c.name), ['id', 'a', 'b', 'status']);
  assert.deepEqual(shadow.info.primaryKey, ['id']);
  await copyAll(source, shadow);
  assert.deepEqual(
    await rows('SELECT id, a, b, status FROM _t_add_new ORDER BY id'),
    await rows(`SELECT id, a, b, 'new' AS status FROM t_add ORDER BY id`),
  );
});

test('DROP COLUMN: the column is reported dropped and left out of the copy', async () => {
  await admin.query('CREATE TABLE t_drop (id INT PRIMARY KEY, keep1 INT, gone TEXT, keep2 VARCHAR(5))');
  await admin.query(`INSERT INTO t_drop VALUES (1, 10, 'aaa', 'p'), (2, NULL, 'bbb', NULL), (3, -5, NULL, 'q')`);
  const source = await inspectTable(sluice, DB, 't_drop');
  const shadow = await createShadowTable(sluice, source, alter('t_drop', 'DROP COLUMN gone'));
  assert.deepEqual(shadow.mapping, { source: ['id', 'keep1', 'keep2'], target: ['id', 'keep1', 'keep2'] });
  assert.deepEqual(shadow.dropped, ['gone']);
  assert.deepEqual(shadow.added, []);
  await copyAll(source, shadow);
  assert.deepEqual(await rows('SELECT * FROM _t_drop_new ORDER BY id'), await rows('SELECT id, keep1, keep2 FROM t_drop ORDER BY id'));
});

test('CHANGE COLUMN rename maps old to new (case-insensitively), a swap of two names maps crosswise', async () => {
  await admin.query('CREATE TABLE t_ren (id INT PRIMARY KEY, Name VARCHAR(20) NOT NULL, a INT, b INT)');
  await admin.query(`INSERT INTO t_ren VALUES (1, 'ann', 1, 100), (2, 'bob', 2, 200), (3, 'cy', NULL, 300)`);
  const source = await inspectTable(sluice, DB, 't_ren');
  const shadow = await createShadowTable(sluice, source, alter(
    't_ren',
    'CHANGE COLUMN NAME full_name VARCHAR(60) NOT NULL, CHANGE a b INT, CHANGE b a INT',
    { NAME: 'full_name', a: 'b', b: 'a' },
  ));
  assert.deepEqual(shadow.mapping, { source: ['id', 'Name', 'a', 'b'], target: ['id', 'full_name', 'b', 'a'] });
  assert.deepEqual(shadow.added, []);
  assert.deepEqual(shadow.dropped, []);
  await copyAll(source, shadow);
  assert.deepEqual(
    await rows('SELECT id, full_name, a, b FROM _t_ren_new ORDER BY id'),
    await rows('SELECT id, Name AS full_name, b AS a, a AS b FROM t_ren ORDER BY id'),
  );
});

test('a column renamed away and re-added under its old name is new, not a copy of the old one', async () => {
  await admin.query('CREATE TABLE t_readd (id INT PRIMARY KEY, c INT)');
  await admin.query('INSERT INTO t_readd VALUES (1, 11), (2, 22)');
  const source = await inspectTable(sluice, DB, 't_readd');
  const shadow = await createShadowTable(sluice, source, alter('t_readd', 'CHANGE c c_old INT, ADD COLUMN c INT NOT NULL DEFAULT 7', { c: 'c_old' }));
  assert.deepEqual(shadow.mapping, { source: ['id', 'c'], target: ['id', 'c_old'] });
  assert.deepEqual(shadow.added, ['c']);
  await copyAll(source, shadow);
  assert.deepEqual(
    await rows('SELECT id, c_old, c FROM _t_readd_new ORDER BY id'),
    await rows('SELECT id, c AS c_old, 7 AS c FROM t_readd ORDER BY id'),
  );
});

test('MODIFY type: the shadow has the new type and the copy converts the values', async () => {
  await admin.query('CREATE TABLE t_mod (id INT PRIMARY KEY, n INT NOT NULL, s VARCHAR(5))');
  await admin.query(`INSERT INTO t_mod VALUES (1, 2147483647, 'abc'), (2, -2147483648, NULL), (3, 0, '')`);
  const source = await inspectTable(sluice, DB, 't_mod');
  const shadow = await createShadowTable(sluice, source, alter('t_mod', 'MODIFY COLUMN n BIGINT UNSIGNED NULL, MODIFY s TEXT'));
  const n = shadow.info.columns.find((c) => c.name === 'n')!;
  assert.equal(n.dataType, 'bigint');
  assert.equal(n.unsigned, true);
  assert.equal(shadow.info.columns.find((c) => c.name === 's')!.dataType, 'text');
  // A lossy conversion (negative into UNSIGNED) must surface under Sluice's strict session.
  await assert.rejects(copyAll(source, shadow), /Out of range/i);
  await admin.query('DELETE FROM t_mod WHERE n < 0');
  await copyAll(source, shadow);
  assert.deepEqual(await rows('SELECT id, n, s FROM _t_mod_new ORDER BY id'), await rows('SELECT id, CAST(n AS UNSIGNED) AS n, s FROM t_mod ORDER BY id'));
});

test('generated columns (virtual, stored, new) are not written; a generated column made plain is copied', async () => {
  await admin.query(`CREATE TABLE t_gen (id INT PRIMARY KEY, n INT NOT NULL,
    v INT AS (n + 1) VIRTUAL, s INT AS (n * 2) STORED, frozen INT AS (n * 3) PERSISTENT)`);
  await admin.query('INSERT INTO t_gen (id, n) VALUES (1, 1), (2, 5), (3, -4)');
  const source = await inspectTable(sluice, DB, 't_gen');
  const shadow = await createShadowTable(sluice, source, alter('t_gen',
    'ADD COLUMN g INT AS (n * 10) STORED, MODIFY COLUMN frozen INT NULL'));
  assert.deepEqual(shadow.info.columns.filter((c) => c.generated).map((c) => c.name), ['v', 's', 'g']);
  assert.deepEqual(shadow.mapping, { source: ['id', 'n', 'frozen'], target: ['id', 'n', 'frozen'] });
  assert.deepEqual(shadow.added, [], 'a new generated column takes no default: it is not "added"');
  assert.deepEqual(shadow.dropped, []);
  await copyAll(source, shadow);
  assert.deepEqual(
    await textRows('SELECT id, n, v, s, frozen, g FROM _t_gen_new ORDER BY id'),
    await textRows('SELECT id, n, n + 1 AS v, n * 2 AS s, n * 3 AS frozen, n * 10 AS g FROM t_gen ORDER BY id'),
  );
  // The column is plain now: it keeps its copied value when n changes.
  await admin.query('UPDATE _t_gen_new SET n = 100 WHERE id = 1');
  assert.deepEqual(await rows('SELECT v, frozen FROM _t_gen_new WHERE id = 1'), [{ v: 101, frozen: 3 }]);
});

test('AUTO_INCREMENT is carried (the live counter, even if it moved since inspection), never lowered', async () => {
  await admin.query('CREATE TABLE t_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
  await admin.query('INSERT INTO t_ai (v) VALUES (1), (2), (3), (4), (5)');
  const source = await inspectTable(sluice, DB, 't_ai');
  await admin.query('INSERT INTO t_ai (v) VALUES (6), (7)'); // the counter moves on after inspection
  await admin.query('DELETE FROM t_ai WHERE id > 5'); // and the top rows go: the counter is not MAX(id)+1
  const [{ ai }] = await queryRows<{ ai: string }>(admin,
    `SELECT AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't_ai'`, [DB]);
  assert.equal(Number(ai), 8);

  const shadow = await createShadowTable(sluice, source, alter('t_ai', 'ADD COLUMN w INT'));
  assert.equal(shadow.info.autoIncrement, 8);
  await copyAll(source, shadow);
  await admin.query('INSERT INTO _t_ai_new (v) VALUES (99)');
  assert.deepEqual(await rows('SELECT id FROM _t_ai_new WHERE v = 99'), [{ id: 8 }], 'a freed id is handed out again');
  await dropShadowTable(sluice, source);

  const raised = await createShadowTable(sluice, source, alter('t_ai', 'AUTO_INCREMENT = 5000'));
  assert.equal(raised.info.autoIncrement, 5000, "the ALTER's own higher counter is kept");
  await admin.query('INSERT INTO _t_ai_new (v) VALUES (1)');
  assert.deepEqual(await rows('SELECT id FROM _t_ai_new'), [{ id: 5000 }]);
  await dropShadowTable(sluice, source);
});

test('a rejected ALTER raises AlterRejectedError (one line, server message) and leaves no shadow', async () => {
  await admin.query('CREATE TABLE t_bad (id INT PRIMARY KEY, a INT)');
  const source = await inspectTable(sluice, DB, 't_bad');
  const cases: [string, RegExp][] = [
    ['ADD COLUMN a INT', /Duplicate column name 'a'/],
    ['DROP COLUMN nope', /nope/],
    ['ADD COLUMN x INT,\n  MODIFY COLUMN', /SQL syntax/],
  ];
  for (const [spec, server] of cases) {
    await assert.rejects(createShadowTable(sluice, source, alter('t_bad', spec)), (err: unknown) => {
      assert.ok(err instanceof AlterRejectedError, String(err));
      assert.equal(err.code, 'ALTER_REJECTED');
      assert.match(err.message, server);
      assert.doesNotMatch(err.message, /\n/);
      assert.equal(typeof err.errno, 'number');
      return true;
    });
    assert.equal(await tableExists('_t_bad_new'), false, `shadow left behind after: ${spec}`);
  }
});

test('the shadow must support the key chosen before it was created; a key change or a renamed key column is refused and leaves no shadow', async () => {
  await admin.query('CREATE TABLE t_pk (id INT NOT NULL, a INT NOT NULL, b INT, PRIMARY KEY (id))');
  await admin.query('INSERT INTO t_pk VALUES (1, 1, 1), (2, 2, 2)');
  const source = await inspectTable(sluice, DB, 't_pk');
  const refused: Array<[string, new (...args: never[]) => Error, Record<string, string>?]> = [
    // Chosen without a probe: the old PRIMARY KEY (id); the shadow would be copied by (id, a).
    ['DROP PRIMARY KEY, ADD PRIMARY KEY (id, a)', ShadowPrimaryKeyError],
    ['DROP PRIMARY KEY', NoUsableKeyError],
    ['DROP PRIMARY KEY, ADD PRIMARY KEY (a)', NoUsableKeyError],
    ['CHANGE id item_id INT NOT NULL', NoUsableKeyError, { id: 'item_id' }],
  ];
  for (const [spec, type, renames] of refused) {
    await assert.rejects(createShadowTable(sluice, source, alter('t_pk', spec, renames)), (err: unknown) => {
      assert.ok(err instanceof type, `${spec}: ${err}`);
      if (err instanceof ShadowPrimaryKeyError) {
        assert.equal(err.code, 'SHADOW_PK_CHANGED');
        assert.deepEqual(err.expected, ['id']);
        assert.deepEqual(err.actual, ['id', 'a']);
      }
      assert.doesNotMatch((err as Error).message, /\n/);
      return true;
    });
    assert.equal(await tableExists('_t_pk_new'), false, `shadow left behind after: ${spec}`);
  }
  // With the key chosen on the dry run ((id) widened to (id, a)), the same shadow is accepted.
  const keyed = { ...source, key: { columns: ['id', 'a'], index: 'PRIMARY', shadowIndex: 'PRIMARY' } };
  const widened = await createShadowTable(sluice, keyed, alter('t_pk', 'DROP PRIMARY KEY, ADD PRIMARY KEY (id, a)'));
  assert.deepEqual(widened.info.primaryKey, ['id', 'a']);
  await copyAll(keyed, widened);
  assert.deepEqual(await rows('SELECT * FROM _t_pk_new ORDER BY id'), await rows('SELECT * FROM t_pk ORDER BY id'));
  // The same shadow seen with the old key is refused by loadShadowTable, which keeps it.
  await assert.rejects(loadShadowTable(sluice, source, alter('t_pk', 'DROP PRIMARY KEY, ADD PRIMARY KEY (id, a)')), ShadowPrimaryKeyError);
  assert.equal(await tableExists('_t_pk_new'), true);
  await dropShadowTable(sluice, source);
});

test('a shadow table that existed before is refused with ShadowTableExistsError and left untouched', async () => {
  await admin.query('CREATE TABLE t_pre (id INT PRIMARY KEY, v INT)');
  await admin.query('CREATE TABLE _t_pre_new (id INT PRIMARY KEY, marker VARCHAR(20))');
  await admin.query(`INSERT INTO _t_pre_new VALUES (1, 'operator data')`);
  const [before] = await queryRows(admin, 'SHOW CREATE TABLE _t_pre_new');
  const source = await inspectTable(sluice, DB, 't_pre');
  await assert.rejects(createShadowTable(sluice, source, alter('t_pre', 'ADD COLUMN w INT')), (err: unknown) => {
    assert.ok(err instanceof ShadowTableExistsError);
    assert.equal(err.code, 'SHADOW_EXISTS');
    assert.match(err.message, /_t_pre_new/);
    return true;
  });
  const [after] = await queryRows(admin, 'SHOW CREATE TABLE _t_pre_new');
  assert.deepEqual({ ...after }, { ...before });
  assert.deepEqual(await rows('SELECT * FROM _t_pre_new'), [{ id: 1, marker: 'operator data' }]);
});

test('loadShadowTable finds an existing shadow with the same mapping, null when absent; drop is idempotent', async () => {
  await admin.query('CREATE TABLE t_load (id BIGINT PRIMARY KEY, old_name INT, gone INT)');
  const source = await inspectTable(sluice, DB, 't_load');
  const parsed = alter('t_load', 'CHANGE old_name new_name INT, DROP COLUMN gone, ADD COLUMN extra INT', { old_name: 'new_name' });
  assert.equal(await loadShadowTable(sluice, source, parsed), null);
  const created = await createShadowTable(sluice, source, parsed);
  const loaded = await loadShadowTable(sluice, source, parsed);
  assert.ok(loaded);
  assert.deepEqual(
    { name: loaded.name, mapping: loaded.mapping, added: loaded.added, dropped: loaded.dropped, columns: loaded.info.columns },
    { name: created.name, mapping: created.mapping, added: created.added, dropped: created.dropped, columns: created.info.columns },
  );
  assert.deepEqual(loaded.mapping, { source: ['id', 'old_name'], target: ['id', 'new_name'] });
  await dropShadowTable(sluice, source);
  assert.equal(await tableExists('_t_load_new'), false);
  assert.equal(await loadShadowTable(sluice, source, parsed), null);
  await dropShadowTable(sluice, source); // IF EXISTS: no error
});

test('names at the 64-character limit and names with dots and backticks work end to end', async () => {
  for (const table of ['x'.repeat(64), 'we.ird`t']) {
    await admin.query(`CREATE TABLE ${id(table)} (id INT PRIMARY KEY, v VARCHAR(10))`);
    await admin.query(`INSERT INTO ${id(table)} VALUES (1, 'a'), (2, 'b')`);
    const source = await inspectTable(sluice, DB, table);
    const shadow = await createShadowTable(sluice, source, alter(table, 'ADD COLUMN w INT NOT NULL DEFAULT 3'));
    assert.equal(shadow.name, shadowTableName(table));
    assert.ok(shadow.name.length <= 64);
    assert.equal(await tableExists(shadow.name), true);
    await copyAll(source, shadow);
    assert.deepEqual(await rows(`SELECT id, v, w FROM ${id(shadow.name)} ORDER BY id`), await rows(`SELECT id, v, 3 AS w FROM ${id(table)} ORDER BY id`));
    await dropShadowTable(sluice, source);
    assert.equal(await tableExists(shadow.name), false);
  }
});

test('RENAME TO is refused before anything is created', async () => {
  await admin.query('CREATE TABLE t_rn (id INT PRIMARY KEY)');
  const source = await inspectTable(sluice, DB, 't_rn');
  const clause: AlterClause = { kind: 'rename-table', text: 'RENAME TO t_rn2' };
  await assert.rejects(createShadowTable(sluice, source, alter('t_rn', 'RENAME TO t_rn2', {}, [clause])), UnsafeShadowAlterError);
  assert.equal(await tableExists('_t_rn_new'), false);
  assert.equal(await tableExists('t_rn2'), false);
});

test('mapColumns (pure): dropped includes generated source columns; unknown rename sources are added', () => {
  const col = (name: string, generated = false) => ({
    name, columnType: 'int(11)', dataType: 'int', nullable: true, generated, charset: null, collation: null, unsigned: false,
  });
  const table = (name: string, cols: ReturnType<typeof col>[]): TableInfo => ({
    schema: 's', name, columns: cols, primaryKey: ['id'], indexes: [], foreignKeys: [], triggers: [],
    engine: 'InnoDB', autoIncrement: null, rowsEstimate: 0,
  });
  const source = table('t', [col('id'), col('a'), col('g', true), col('old')]);
  const shadow = table('_t_new', [col('id'), col('A'), col('renamed'), col('fresh')]);
  assert.deepEqual(mapColumns(source, shadow, new Map([['OLD', 'RENAMED']])), {
    mapping: { source: ['id', 'a', 'old'], target: ['id', 'A', 'renamed'] },
    added: ['fresh'],
    dropped: ['g'],
  });
});
