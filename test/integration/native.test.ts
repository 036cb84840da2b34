/** tryNativeAlter on the real server: what it does natively, what it leaves to the copy, and that a refusal changes nothing. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool } from 'mysql2/promise';
import { openConnection, openPool, serverFlavor, type ServerFlavor } from '../../core/connection/connection.ts';
import { tryNativeAlter } from '../../core/native/native.ts';
import { NativeAlterRejectedError, NativeAlterLockTimeoutError } from '../../core/native/errors.ts';
import { parseAlter } from '../../core/statement/parse.ts';
import { InvalidStatementError } from '../../core/statement/errors.ts';
import { UnsupportedAlterError } from '../../core/preflight/errors.ts';
import { MigrationCancelledError } from '../../core/errors.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

const DB = 'native_db';
const admin: Pool = await freshDatabase(DB);
const sluice = openPool(testConnection(DB), undefined, 2);
const flavor: ServerFlavor = await serverFlavor(sluice);

after(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await sluice.end();
  await admin.end();
});

const DEFINITION = `(
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(32) NOT NULL,
  qty INT DEFAULT NULL,
  note VARCHAR(64) DEFAULT 'n/a',
  PRIMARY KEY (id),
  KEY i_name (name),
  KEY i_qty (qty)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`;

/** A fresh table `name` with rows, and a twin `name_ctl` for a plain ALTER to compare with. */
async function table(name: string): Promise<void> {
  for (const t of [name, `${name}_ctl`]) {
    await admin.query(`DROP TABLE IF EXISTS ${mysql.escapeId(t)}`);
    await admin.query(`CREATE TABLE ${mysql.escapeId(t)} ${DEFINITION}`);
    await admin.query(`INSERT INTO ${mysql.escapeId(t)} (name, qty) VALUES ('a', 1), ('b', NULL), ('c', 3), ('d', 4)`);
  }
}

async function showCreate(t: string): Promise<string> {
  const [rows] = await admin.query(`SHOW CREATE TABLE ${mysql.escapeId(t)}`);
  return String((rows as Record<string, unknown>[])[0]!['Create Table']).replace(/AUTO_INCREMENT=\d+ /, '');
}

async function rows(t: string): Promise<unknown[]> {
  const [r] = await admin.query(`SELECT * FROM ${mysql.escapeId(t)} ORDER BY id`);
  return r as unknown[];
}

/** Runs the statement natively on `t` and plainly on `t_ctl`; both tables must end up identical. */
async function nativeMatchesPlain(t: string, spec: string): Promise<string | null> {
  const result = await tryNativeAlter(sluice, DB, t, parseAlter(`ALTER TABLE ${t} ${spec}`), flavor);
  await admin.query(`ALTER TABLE ${mysql.escapeId(`${t}_ctl`)} ${spec}`);
  assert.equal((await showCreate(t)).replace(`CREATE TABLE \`${t}\``, ''), (await showCreate(`${t}_ctl`)).replace(`CREATE TABLE \`${t}_ctl\``, ''));
  assert.deepEqual(await rows(t), await rows(`${t}_ctl`));
  return result;
}

test('ADD COLUMN at the end runs INSTANT and the table then equals a plainly altered twin', async () => {
  await table('t_add');
  assert.equal(await nativeMatchesPlain('t_add', "ADD COLUMN extra INT NOT NULL DEFAULT 7 COMMENT 'x, y'"), 'instant');
  const [cols] = await admin.query('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [DB, 't_add']);
  assert.deepEqual((cols as { COLUMN_NAME: string }[]).map((c) => c.COLUMN_NAME), ['id', 'name', 'qty', 'note', 'extra']);
});

test('metadata-only changes run natively: RENAME INDEX and SET DEFAULT instantly, DROP INDEX past INSTANT', async () => {
  await table('t_meta');
  assert.equal(await nativeMatchesPlain('t_meta', 'RENAME INDEX i_qty TO i_quantity, ALTER COLUMN note SET DEFAULT \'none\''), 'instant');
  const dropped = await nativeMatchesPlain('t_meta', 'DROP INDEX i_name');
  // Both servers refuse INSTANT for DROP INDEX (1846); MariaDB 10.11 does it with NOCOPY, MySQL 8 in place.
  assert.equal(dropped, flavor.mariadb ? 'nocopy' : 'inplace');
  const [idx] = await admin.query('SHOW INDEX FROM t_meta');
  assert.deepEqual([...new Set((idx as { Key_name: string }[]).map((i) => i.Key_name))].sort(), ['PRIMARY', 'i_quantity']);
});

test('ADD INDEX is left to the copy (null) and the table is unchanged', async () => {
  await table('t_idx');
  const before = await showCreate('t_idx');
  assert.equal(await tryNativeAlter(sluice, DB, 't_idx', parseAlter('ALTER TABLE t_idx ADD INDEX i_note (note)'), flavor), null);
  assert.equal(await showCreate('t_idx'), before);
});

test('changes that need a copy return null and change nothing: a column type, a mix with a metadata-only clause, a rebuild', async () => {
  await table('t_copy');
  const before = await showCreate('t_copy');
  const data = await rows('t_copy');
  for (const spec of ['MODIFY qty BIGINT', 'DROP INDEX i_name, MODIFY qty BIGINT', 'ENGINE=InnoDB', 'FORCE', 'CONVERT TO CHARACTER SET latin1']) {
    assert.equal(await tryNativeAlter(sluice, DB, 't_copy', parseAlter(`ALTER TABLE t_copy ${spec}`), flavor), null, spec);
    assert.equal(await showCreate('t_copy'), before, spec);
  }
  assert.deepEqual(await rows('t_copy'), data);
});

test('a statement the server rejects is a NativeAlterRejectedError carrying its message, and the table is unchanged', async () => {
  await table('t_bad');
  const before = await showCreate('t_bad');
  const cases: [string, number][] = [
    ['ADD COLUMN fresh INT, DROP COLUMN nope', 1091], // the first clause alone would have worked: DDL is atomic
    ['ADD COLUMN name INT', 1060],
    ['CHANGE missing other INT', 1054],
    ['ADD COLUMN c INT DEFAULT', 1064],
    ['RENAME INDEX nope TO other', 1176],
  ];
  for (const [spec, errno] of cases) {
    const err = await tryNativeAlter(sluice, DB, 't_bad', parseAlter(`ALTER TABLE t_bad ${spec}`), flavor).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof NativeAlterRejectedError, `${spec}: ${err}`);
    assert.ok(err instanceof InvalidStatementError);
    assert.equal(err.code, 'ALTER_REJECTED');
    assert.equal(err.errno, errno, `${spec}: ${err.message}`);
    assert.ok(err.message.includes(err.serverMessage) && err.serverMessage.length > 0);
    assert.ok(!err.message.includes('\n'), err.message);
    assert.equal(await showCreate('t_bad'), before, spec);
  }
});

test('statements Sluice refuses never reach the server (RENAME TO, ALGORITHM=)', async () => {
  await table('t_refuse');
  for (const spec of ['RENAME TO t_elsewhere', 'ADD COLUMN z INT, ALGORITHM=COPY']) {
    await assert.rejects(tryNativeAlter(sluice, DB, 't_refuse', parseAlter(`ALTER TABLE t_refuse ${spec}`), flavor), UnsupportedAlterError);
  }
  const [found] = await admin.query(`SHOW TABLES LIKE 't_%'`);
  assert.ok((found as Record<string, string>[]).some((r) => Object.values(r)[0] === 't_refuse'));
  assert.ok(!(found as Record<string, string>[]).some((r) => Object.values(r)[0] === 't_elsewhere'));
});

test('a held metadata lock makes the native ALTER time out with NativeAlterLockTimeoutError, table unchanged', async () => {
  await table('t_lock');
  const before = await showCreate('t_lock');
  const holder = await admin.getConnection();
  const ddl = await openConnection(testConnection(DB), { lockWaitTimeout: 1, innodbLockWaitTimeout: 1 });
  try {
    await holder.query('START TRANSACTION');
    await holder.query('SELECT * FROM t_lock'); // holds a shared metadata lock until COMMIT
    const started = Date.now();
    await assert.rejects(tryNativeAlter(ddl, DB, 't_lock', parseAlter('ALTER TABLE t_lock ADD COLUMN late INT'), flavor), NativeAlterLockTimeoutError);
    assert.ok(Date.now() - started < 5000);
  } finally {
    await holder.query('COMMIT');
    holder.release();
    await ddl.end();
  }
  assert.equal(await showCreate('t_lock'), before);
});

test('an aborted signal stops before any attempt', async () => {
  await table('t_abort');
  const before = await showCreate('t_abort');
  const ac = new AbortController();
  ac.abort('operator');
  await assert.rejects(tryNativeAlter(sluice, DB, 't_abort', parseAlter('ALTER TABLE t_abort ADD COLUMN z INT'), flavor, ac.signal), MigrationCancelledError);
  assert.equal(await showCreate('t_abort'), before);
});
