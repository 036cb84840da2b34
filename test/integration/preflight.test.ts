/** Preflight refusals against the real server: each refusal, and that checking changes nothing. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool } from 'mysql2/promise';
import ZongJi from '@vlasky/zongji';
import { currentBinlogPosition, driverOptions, openPool, serverFlavor, type Queryable, type ServerFlavor } from '../../core/connection/connection.ts';
import { checkServerSettings } from '../../core/preflight/server.ts';
import { checkPrivileges, SCHEMA_PRIVILEGES } from '../../core/preflight/privileges.ts';
import { checkTable } from '../../core/preflight/table.ts';
import {
  BinlogCompressionError, BinlogDisabledError, BinlogFormatError, BinlogRowImageError, BinlogRowValueOptionsError, MaxWriteLockCountError,
  ForeignKeyError, MissingPrivilegeError, NoPrimaryKeyError, PrimaryKeyChangeError,
} from '../../core/preflight/errors.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import { parseAlter } from '../../core/statement/parse.ts';
import { testServer } from '../../scripts/sandbox.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

const DB = 'preflight_db';
const OTHER_DB = 'preflight_other';
const admin: Pool = await freshDatabase(DB);
await admin.query(`DROP DATABASE IF EXISTS ${OTHER_DB}`);
await admin.query(`CREATE DATABASE ${OTHER_DB}`);
const sluice = openPool(testConnection(DB), undefined, 2);
const flavor: ServerFlavor = await serverFlavor(sluice);
const users: string[] = [];

after(async () => {
  for (const u of users) await admin.query(`DROP USER IF EXISTS ?@'%'`, [u]);
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`DROP DATABASE IF EXISTS ${OTHER_DB}`);
  await sluice.end();
  await admin.end();
});

async function showCreate(table: string, db = DB): Promise<string> {
  const [rows] = await admin.query(`SHOW CREATE TABLE ${mysql.escapeId(db)}.${mysql.escapeId(table)}`);
  return String((rows as Record<string, unknown>[])[0]!['Create Table']);
}

/** Runs `check` and asserts it wrote nothing to the binary log (a preflight never changes the server). */
async function withoutWrites<T>(check: () => Promise<T>): Promise<T> {
  const before = await currentBinlogPosition(admin);
  try {
    return await check();
  } finally {
    assert.deepEqual(await currentBinlogPosition(admin), before, 'the check wrote to the binary log');
  }
}

/** A Queryable that answers SHOW GLOBAL VARIABLES with the given values, as the server does, and counts queries. */
function fakeServer(values: Record<string, string>) {
  const calls: string[] = [];
  const db = {
    async query(sql: string, params?: unknown[]) {
      calls.push(sql);
      const wanted = new Set((params ?? []).map(String));
      return [Object.entries(values).filter(([k]) => wanted.has(k)).map(([Variable_name, Value]) => ({ Variable_name, Value })), []];
    },
  } as unknown as Queryable;
  return { db, calls };
}

// ── server settings ──────────────────────────────────────────────────────────────────────────

test('the sandbox server (log_bin ON, ROW, FULL, no compression) passes; variables it lacks are skipped', async () => {
  await withoutWrites(() => checkServerSettings(sluice, flavor));
  const [rows] = await admin.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN ('binlog_row_value_options', 'binlog_transaction_compression')`);
  if (flavor.mariadb) assert.equal((rows as unknown[]).length, 0, 'MariaDB has no MySQL-only variables, so the pass above skipped them');
});

async function withGlobal(name: string, value: string, fn: () => Promise<void>): Promise<void> {
  // SHOW VARIABLES gives the value as SET accepts it back ('OFF', 'ROW'), unlike @@GLOBAL (0, 1).
  const read = async () => String(((await admin.query('SHOW GLOBAL VARIABLES LIKE ?', [name]))[0] as { Value: string }[])[0]!.Value);
  const old = await read();
  await admin.query(`SET GLOBAL ${name} = ?`, [value]);
  try {
    await fn();
  } finally {
    await admin.query(`SET GLOBAL ${name} = ?`, [old]);
    assert.equal(await read(), old, `${name} was not restored`);
  }
}

test('binlog_format other than ROW is refused with BinlogFormatError', async () => {
  await withGlobal('binlog_format', 'MIXED', async () => {
    const err = await withoutWrites(() => checkServerSettings(sluice, flavor).then(() => undefined, (e: unknown) => e));
    assert.ok(err instanceof BinlogFormatError, String(err));
    assert.equal(err.code, 'BINLOG_FORMAT');
    assert.equal(err.value, 'MIXED');
    assert.match(err.message, /^binlog_format is MIXED, Sluice needs ROW: run SET GLOBAL binlog_format='ROW'/);
  });
});

test('binlog_row_image other than FULL is refused with BinlogRowImageError', async () => {
  await withGlobal('binlog_row_image', 'MINIMAL', async () => {
    await assert.rejects(withoutWrites(() => checkServerSettings(sluice, flavor)),
      (e: unknown) => e instanceof BinlogRowImageError && e.code === 'BINLOG_ROW_IMAGE' && /MINIMAL/.test(e.message));
  });
});

test('MariaDB binlog compression (log_bin_compress=ON) is refused with BinlogCompressionError', { skip: !flavor.mariadb && 'MariaDB only' }, async () => {
  await withGlobal('log_bin_compress', 'ON', async () => {
    await assert.rejects(withoutWrites(() => checkServerSettings(sluice, flavor)),
      (e: unknown) => e instanceof BinlogCompressionError && e.variable === 'log_bin_compress' && /SET GLOBAL log_bin_compress=OFF/.test(e.message));
  });
});

test('max_write_lock_count below 100 is refused with MaxWriteLockCountError (queued writes could overtake the RENAME); 100 passes', async () => {
  const read = async () => String(((await admin.query('SELECT @@GLOBAL.max_write_lock_count AS v'))[0] as { v: unknown }[])[0]!.v);
  const old = await read();
  try {
    await admin.query('SET GLOBAL max_write_lock_count = 1');
    const err = await withoutWrites(() => checkServerSettings(sluice, flavor).then(() => undefined, (e: unknown) => e));
    assert.ok(err instanceof MaxWriteLockCountError, String(err));
    assert.equal(err.code, 'MAX_WRITE_LOCK_COUNT');
    assert.equal(err.value, '1');
    assert.match(err.message, /^max_write_lock_count is 1, below 100: writes queued during the cutover could reach the old table; run SET GLOBAL max_write_lock_count=DEFAULT/);
    assert.ok(!err.message.includes('\n'));
    await admin.query('SET GLOBAL max_write_lock_count = 100');
    await withoutWrites(() => checkServerSettings(sluice, flavor));
  } finally {
    await admin.query(`SET GLOBAL max_write_lock_count = ${BigInt(old)}`);
    assert.equal(await read(), old, 'max_write_lock_count was not restored');
  }
});

test('log_bin OFF and the MySQL 8 settings (row value options, transaction compression) are refused; one query reads them all', async () => {
  const mysql8: ServerFlavor = { mariadb: false, version: '8.0.36', parts: [8, 0, 36] };
  const good = { log_bin: 'ON', binlog_format: 'ROW', binlog_row_image: 'FULL', binlog_row_value_options: '', binlog_transaction_compression: 'OFF' };
  const ok = fakeServer(good);
  await checkServerSettings(ok.db, mysql8);
  assert.equal(ok.calls.length, 1);
  const cases: [Record<string, string>, new (...args: never[]) => Error][] = [
    [{ log_bin: 'OFF' }, BinlogDisabledError],
    [{ binlog_row_value_options: 'PARTIAL_JSON' }, BinlogRowValueOptionsError],
    [{ binlog_transaction_compression: 'ON' }, BinlogCompressionError],
  ];
  for (const [override, cls] of cases) {
    const { db, calls } = fakeServer({ ...good, ...override });
    await assert.rejects(checkServerSettings(db, mysql8), (e: unknown) => e instanceof cls && !(e as Error).message.includes('\n'));
    assert.equal(calls.length, 1);
  }
});

// ── privileges ───────────────────────────────────────────────────────────────────────────────

async function createUser(name: string, grants: string[], database: string = DB): Promise<{ pool: Pool; password: string }> {
  const password = `pw-${name}-Secret9`;
  await admin.query(`DROP USER IF EXISTS ?@'%'`, [name]);
  await admin.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [name, password]);
  users.push(name);
  for (const g of grants) await admin.query(`GRANT ${g} TO ?@'%'`, [name]);
  const s = testServer();
  const pool = mysql.createPool({ host: s.host, port: s.port, user: name, password, database, connectionLimit: 1 });
  return { pool, password };
}

const GLOBAL_GRANT = 'REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.*';
const SCHEMA_GRANT = `${SCHEMA_PRIVILEGES.join(', ')} ON ${DB}.*`;

test('the sandbox account (ALL PRIVILEGES ON *.*) passes', async () => {
  await withoutWrites(() => checkPrivileges(sluice, DB));
});

test('an account with exactly the required privileges passes, and can really do every step of a migration', async () => {
  await admin.query('CREATE TABLE priv_t (id INT PRIMARY KEY, v VARCHAR(10))');
  await admin.query(`INSERT INTO priv_t VALUES (1, 'a'), (2, 'b')`);
  const { pool, password } = await createUser('pf_exact', [GLOBAL_GRANT, SCHEMA_GRANT]);
  try {
    await withoutWrites(() => checkPrivileges(pool, DB));
    for (const sql of [
      'CREATE TABLE _priv_t_new LIKE priv_t', 'ALTER TABLE _priv_t_new ADD COLUMN c INT, ADD INDEX iv (v)',
      'INSERT IGNORE INTO _priv_t_new (id, v) SELECT id, v FROM priv_t', `REPLACE INTO _priv_t_new (id, v) VALUES (3, 'c')`,
      'UPDATE _priv_t_new SET c = 1', 'DELETE FROM _priv_t_new WHERE id = 3', 'CREATE TABLE _priv_t_chkpnt (id INT PRIMARY KEY)',
      'LOCK TABLES priv_t WRITE, _priv_t_new WRITE', 'UNLOCK TABLES', 'RENAME TABLE priv_t TO _priv_t_old, _priv_t_new TO priv_t',
      'DROP TABLE _priv_t_old, _priv_t_chkpnt', 'SHOW MASTER STATUS', 'SHOW BINARY LOGS', 'FLUSH BINARY LOGS',
    ]) await pool.query(sql);
    // Streaming the binary log as that account (what replay does).
    const s = testServer();
    const start = await currentBinlogPosition(admin);
    const zongji = new ZongJi({ ...driverOptions({ host: s.host, port: s.port, user: 'pf_exact', password }) });
    const rows = await new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no row event within 10 s')), 10_000);
      zongji.on('error', (e: unknown) => { clearTimeout(timer); reject(e); });
      zongji.on('binlog', (evt: { getEventName(): string; rows?: unknown[] }) => {
        if (evt.getEventName() === 'writerows') { clearTimeout(timer); resolve(evt.rows ?? []); }
      });
      zongji.on('ready', () => { pool.query(`INSERT INTO priv_t (id, v, c) VALUES (9, 'z', 7)`).catch(reject); });
      zongji.start({
        serverId: 5000 + Math.floor(Math.random() * 1000), filename: start.file, position: start.position,
        includeEvents: ['tablemap', 'writerows'], includeSchema: { [DB]: ['priv_t'] },
      });
    });
    await new Promise<void>((resolve) => { zongji.once('stopped', () => resolve()); zongji.stop(); });
    assert.deepEqual(rows, [{ id: 9, v: 'z', c: 7 }]);
  } finally {
    await pool.end();
    await admin.query('DROP TABLE IF EXISTS priv_t, _priv_t_new, _priv_t_old, _priv_t_chkpnt');
  }
});

test('missing privileges are named with the GRANT that fixes them, which really does', async () => {
  const without = SCHEMA_PRIVILEGES.filter((p) => p !== 'LOCK TABLES' && p !== 'DROP');
  const created = await createUser('pf_partial', ['REPLICATION CLIENT, RELOAD ON *.*', `${without.join(', ')} ON ${DB}.*`]);
  const { password } = created;
  let pool = created.pool;
  try {
    await admin.query('CREATE TABLE lock_t (id INT PRIMARY KEY)');
    await assert.rejects(pool.query('LOCK TABLES lock_t WRITE'), /denied/i, 'the server itself refuses LOCK TABLES to this account');
    const err = await withoutWrites(() => checkPrivileges(pool, DB).then(() => undefined, (e: unknown) => e));
    assert.ok(err instanceof MissingPrivilegeError, String(err));
    assert.equal(err.code, 'MISSING_PRIVILEGE');
    assert.deepEqual(err.missing, [
      { privilege: 'REPLICATION SLAVE', on: '*.*' },
      { privilege: 'DROP', on: '`preflight_db`.*' },
      { privilege: 'LOCK TABLES', on: '`preflight_db`.*' },
    ]);
    assert.ok(!err.message.includes('\n'));
    assert.ok(!err.message.includes(password) && !/PASSWORD|\*[0-9A-F]{40}/.test(err.message), 'the message shows no password or hash');
    for (const grant of err.grants) await admin.query(grant);
    await withoutWrites(() => checkPrivileges(pool, DB));
    // Schema privileges granted now reach new sessions (an open one sees them only after USE).
    await pool.end();
    const s = testServer();
    pool = mysql.createPool({ host: s.host, port: s.port, user: 'pf_partial', password, database: DB, connectionLimit: 1 });
    await pool.query('LOCK TABLES lock_t WRITE');
    await pool.query('UNLOCK TABLES');
  } finally {
    await pool.end();
    await admin.query('DROP TABLE IF EXISTS lock_t');
  }
});

test('schema grants do not add up: an exact grant hides a wildcard one, and the fix grants every schema privilege', async () => {
  const created = await createUser('pf_shadow', [GLOBAL_GRANT, `${SCHEMA_PRIVILEGES.join(', ')} ON \`preflight\\_%\`.*`, 'SELECT ON `preflight\\_db`.*']);
  const { password } = created;
  let pool = created.pool;
  try {
    await admin.query('CREATE TABLE shadow_t (id INT PRIMARY KEY)');
    await assert.rejects(pool.query('INSERT INTO shadow_t VALUES (1)'), /denied/i, 'the server uses the exact row only');
    const err = await checkPrivileges(pool, DB).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MissingPrivilegeError, String(err));
    assert.deepEqual(err.missing.map((m) => m.privilege), SCHEMA_PRIVILEGES.filter((p) => p !== 'SELECT'));
    assert.deepEqual(err.grants, [`GRANT ${SCHEMA_PRIVILEGES.join(', ')} ON \`preflight\\_db\`.* TO 'pf_shadow'@'%'`]);
    for (const grant of err.grants) await admin.query(grant);
    await checkPrivileges(pool, DB);
    await pool.end();
    const s = testServer();
    pool = mysql.createPool({ host: s.host, port: s.port, user: 'pf_shadow', password, database: DB, connectionLimit: 1 });
    await pool.query('INSERT INTO shadow_t VALUES (1)');
  } finally {
    await pool.end();
    await admin.query('DROP TABLE IF EXISTS shadow_t');
  }
});

test('REPLICATION SLAVE ADMIN / REPLICA MONITOR do not replace REPLICATION SLAVE / CLIENT (the server agrees)', { skip: !flavor.mariadb && 'MariaDB 10.5+ privilege names' }, async () => {
  const { pool } = await createUser('pf_admin', ['REPLICATION SLAVE ADMIN, REPLICA MONITOR, RELOAD ON *.*', SCHEMA_GRANT]);
  try {
    await assert.rejects(checkPrivileges(pool, DB), (e: unknown) => e instanceof MissingPrivilegeError
      && e.missing.map((m) => m.privilege).join() === 'REPLICATION SLAVE,REPLICATION CLIENT');
    await assert.rejects(pool.query('SHOW BINARY LOGS'), /BINLOG MONITOR/);
  } finally {
    await pool.end();
  }
});

test('schema grants count through wildcards, but not for another schema or at table level', async () => {
  const { pool: wild } = await createUser('pf_wild', [GLOBAL_GRANT, `${SCHEMA_PRIVILEGES.join(', ')} ON \`preflight\\_%\`.*`]);
  const { pool: other } = await createUser('pf_other', [GLOBAL_GRANT, `${SCHEMA_PRIVILEGES.join(', ')} ON ${OTHER_DB}.*`], OTHER_DB);
  await admin.query('CREATE TABLE tbl_t (id INT PRIMARY KEY)');
  const { pool: table } = await createUser('pf_table', [GLOBAL_GRANT, `SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON ${DB}.tbl_t`]);
  try {
    await checkPrivileges(wild, DB);
    await checkPrivileges(wild, OTHER_DB);
    await assert.rejects(checkPrivileges(wild, 'preflightXdb'), MissingPrivilegeError);
    await checkPrivileges(other, OTHER_DB);
    await assert.rejects(checkPrivileges(other, DB), (e: unknown) => e instanceof MissingPrivilegeError && e.missing.length === SCHEMA_PRIVILEGES.length);
    await assert.rejects(checkPrivileges(table, DB), (e: unknown) => e instanceof MissingPrivilegeError && e.missing.length === SCHEMA_PRIVILEGES.length);
  } finally {
    await Promise.all([wild.end(), other.end(), table.end()]);
    await admin.query('DROP TABLE IF EXISTS tbl_t');
  }
});

// ── the table ────────────────────────────────────────────────────────────────────────────────

async function checkRealTable(table: string, alter: string): Promise<unknown> {
  const before = await showCreate(table);
  try {
    return await withoutWrites(async () => {
      checkTable(await inspectTable(sluice, DB, table), parseAlter(alter));
      return undefined;
    });
  } catch (e) {
    return e;
  } finally {
    assert.equal(await showCreate(table), before);
  }
}

test('a table without a primary key is refused with NoPrimaryKeyError', async () => {
  await admin.query('CREATE TABLE nopk (a INT, b INT, UNIQUE KEY ua (a))');
  const err = await checkRealTable('nopk', 'ALTER TABLE nopk ADD COLUMN c INT');
  assert.ok(err instanceof NoPrimaryKeyError, String(err));
  assert.match(err.message, /`preflight_db`\.`nopk` has no PRIMARY KEY/);
});

test('foreign keys are refused on both sides, naming the other table', async () => {
  await admin.query('CREATE TABLE fk_parent (id INT PRIMARY KEY)');
  await admin.query('CREATE TABLE fk_child (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES fk_parent (id))');
  const child = await checkRealTable('fk_child', 'ALTER TABLE fk_child ADD COLUMN c INT');
  assert.ok(child instanceof ForeignKeyError, String(child));
  assert.match(child.message, /fk_c_p references fk_parent/);
  const parent = await checkRealTable('fk_parent', 'ALTER TABLE fk_parent ADD COLUMN c INT');
  assert.ok(parent instanceof ForeignKeyError, String(parent));
  assert.match(parent.message, /fk_c_p on fk_child references it/);
});

test('triggers are not refused by checkTable: they move with the cutover (test/integration/triggers.test.ts)', async () => {
  await admin.query('CREATE TABLE trg_t (id INT PRIMARY KEY, v INT)');
  await admin.query('CREATE TRIGGER trg_ins BEFORE INSERT ON trg_t FOR EACH ROW SET NEW.v = 1');
  assert.equal(await checkRealTable('trg_t', 'ALTER TABLE trg_t ADD COLUMN c INT'), undefined);
});

test('dropping or renaming a primary key column is refused; changing its type is allowed', async () => {
  await admin.query('CREATE TABLE pk_t (id INT NOT NULL, part INT NOT NULL, v INT, PRIMARY KEY (id, part))');
  const refused = [
    'DROP COLUMN id', 'DROP part', 'CHANGE id id2 INT NOT NULL', 'CHANGE COLUMN `PART` p2 INT', 'RENAME COLUMN id TO ident',
    'DROP PRIMARY KEY', 'DROP PRIMARY KEY, ADD PRIMARY KEY (id)',
  ];
  for (const spec of refused) {
    const err = await checkRealTable('pk_t', `ALTER TABLE pk_t ADD COLUMN x INT, ${spec}`);
    assert.ok(err instanceof PrimaryKeyChangeError, `${spec}: ${err}`);
    assert.equal(err.code, 'PRIMARY_KEY_CHANGE');
    assert.ok(!err.message.includes('\n'));
  }
  for (const spec of ['MODIFY id BIGINT NOT NULL', 'CHANGE id id BIGINT NOT NULL', 'CHANGE ID id BIGINT NOT NULL', 'DROP COLUMN v', 'RENAME COLUMN v TO w', 'CHANGE v id3 INT']) {
    assert.equal(await checkRealTable('pk_t', `ALTER TABLE pk_t ${spec}`), undefined, spec);
  }
});
