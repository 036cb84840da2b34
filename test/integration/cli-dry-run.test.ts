/**
 * `migrate --dry-run`, through the built CLI (`node bin/migrate.js`) as a subprocess against the
 * sandbox: it changes nothing (every table's SHOW CREATE, the list of tables, the binlog position and
 * GTID, the lock views), never blocks an application session that is writing the table, answers the
 * native question as the server's own ALTER does on the populated table, shows the shadow table as the
 * server's own ALTER makes it, and refuses exactly as a real run does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { lockName } from '../../mod.ts';
import type { MigrationPlan, MigrationResult } from '../../mod.ts';
import { connectionFlags, runCli, startCli } from '../support/cli.ts';
import { appPool, fileDatabases } from '../support/db.ts';
import { metadataLockView, setMetadataLockView } from '../support/mdl-view.ts';
import { ensureBuilt } from './examples-helpers.ts';
import { testServer } from '../../scripts/sandbox.ts';

const DB = 'cli_dry_run_test';
const dbs = fileDatabases();
let pool: Pool;
let admin: Pool;
let viewBefore: Awaited<ReturnType<typeof metadataLockView>>;

before(async () => {
  ensureBuilt();
  pool = await dbs.database(DB);
  admin = dbs.own(appPool(undefined, 2));
  viewBefore = await metadataLockView(admin);
  await setMetadataLockView(admin, true);
});
after(async () => { await setMetadataLockView(admin, viewBefore === 'ACTIVE'); });

async function makeTable(name: string, rows = 3000): Promise<void> {
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY AUTO_INCREMENT, c INT NOT NULL, v VARCHAR(40) NOT NULL)`);
  await pool.query(`INSERT INTO ${name} (c, v) SELECT seq % 97, CONCAT('v', seq) FROM seq_1_to_${rows}`);
}

/** Everything a dry run must leave as it was. */
async function serverState(): Promise<Record<string, unknown>> {
  const [tables] = await admin.query<RowDataPacket[]>(
    "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys') ORDER BY 1, 2");
  const creates: Record<string, string> = {};
  for (const r of tables.filter((t) => t.s === DB)) {
    const [[c]] = await admin.query<RowDataPacket[]>(`SHOW CREATE TABLE ${mysql.escapeId(DB)}.${mysql.escapeId(String(r.t))}`);
    creates[String(r.t)] = String(c!['Create Table']);
  }
  const [[status]] = await admin.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const [[gtid]] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS g');
  return { tables: tables.map((r) => `${String(r.s)}.${String(r.t)}`), creates, binlog: `${String(status!.File)}:${String(status!.Position)}`, gtid: gtid!.g };
}

/** Metadata locks (user locks from GET_LOCK included) held by any session but `except`. */
async function locksHeldByOthers(except: number[]): Promise<unknown[]> {
  const [rows] = await admin.query<RowDataPacket[]>(
    `SELECT THREAD_ID, LOCK_MODE, LOCK_TYPE, TABLE_SCHEMA, TABLE_NAME FROM information_schema.METADATA_LOCK_INFO WHERE THREAD_ID NOT IN (${except.join(', ')})`);
  return rows;
}

function planOf(stdout: string): MigrationPlan {
  const done = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; result?: MigrationResult }).find((e) => e.type === 'done');
  assert.ok(done?.result?.plan, stdout);
  assert.equal(done.result.mode, 'dry-run');
  return done.result.plan;
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('migrate: error:'));

test('a dry run changes nothing: same tables and definitions, same binlog position and GTID, no lock left, an application writing the table is never held up', async () => {
  await makeTable('t_same');
  const app = await mysql.createConnection({ ...testServer(), database: DB });
  const [[own]] = await admin.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
  try {
    // The application: an open transaction that has written the table (its row locks and metadata lock held,
    // nothing binlogged until it commits), and a short lock wait so that any lock Sluice took would fail its writes.
    await app.query('SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1');
    await app.query('BEGIN');
    await app.query("UPDATE t_same SET v = 'app' WHERE id <= 10");
    const [[appRow]] = await app.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    const appId = Number(appRow!.id);
    const ownId = Number(own!.id);
    const before = await serverState();
    const locksBefore = await locksHeldByOthers([appId, ownId]);

    const run = startCli([...connectionFlags(DB), '--statement', 'ALTER TABLE t_same ADD INDEX idx_c (c), MODIFY v VARCHAR(60) NOT NULL', '--dry-run', '--json'], { built: true });
    let writes = 0;
    let exited = false;
    const done = run.done.finally(() => { exited = true; });
    while (!exited) {
      await app.query('UPDATE t_same SET c = c + 1 WHERE id = ?', [11 + (writes % 500)]);
      writes++;
    }
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(writes > 0, 'the application wrote while the dry run ran');
    const plan = planOf(r.stdout);
    assert.equal(plan.method, 'copy');

    assert.deepEqual(await locksHeldByOthers([appId, ownId]), locksBefore, 'a metadata or user lock is still held by someone else');
    const [trx] = await admin.query<RowDataPacket[]>('SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX');
    assert.deepEqual(trx.map((t) => Number(t.id)), [appId], 'only the application has an open transaction');
    await app.query('ROLLBACK');
    assert.deepEqual(await serverState(), before);
  } finally {
    await app.end();
  }
});

test('the plan: the native answer is the server\'s own on the populated table; the shadow is what the server\'s ALTER makes; key, size, sample, plugins', async () => {
  const cases = [
    'ADD COLUMN note VARCHAR(20)', // INSTANT on MariaDB 10.3.2+ / MySQL 8.0.12+
    'ALTER COLUMN c SET DEFAULT 7',
    'ADD INDEX idx_c (c)', // never INSTANT
    'MODIFY c BIGINT NOT NULL', // a type change: a rebuild
    'DROP COLUMN v', // INSTANT on MariaDB 10.4+
  ];
  const methods: string[] = [];
  for (const [i, spec] of cases.entries()) {
    const table = `t_plan${i}`;
    await makeTable(table);
    const r = await runCli([...connectionFlags(DB), '--statement', `ALTER TABLE ${table} ${spec}`, '--dry-run', '--json', '--max-load', '500'], { built: true });
    assert.equal(r.code, 0, r.stderr);
    const plan = planOf(r.stdout);

    // The server's own answer, on a populated copy of the same rows.
    await pool.query(`CREATE TABLE ${table}_own LIKE ${table}`);
    await pool.query(`INSERT INTO ${table}_own SELECT * FROM ${table}`);
    const instant = await pool.query(`ALTER TABLE ${table}_own ALGORITHM=INSTANT, ${spec}`).then(() => true, (e: { errno?: number }) => {
      assert.ok(e.errno === 1845 || e.errno === 1846, `the server refused for another reason: ${String(e.errno)}`);
      return false;
    });
    assert.equal(plan.method, instant ? 'instant' : 'copy', `${spec}: the dry run said ${plan.method}`);
    methods.push(plan.method);
    if (instant) {
      assert.equal(plan.shadow, null);
      continue;
    }
    await pool.query(`ALTER TABLE ${table}_own ${spec}`);
    const [[own]] = await pool.query<RowDataPacket[]>(`SHOW CREATE TABLE ${table}_own`);
    const expected = String(own!['Create Table']).replace(`CREATE TABLE \`${table}_own\``, `CREATE TABLE \`_${table}_new\``)
      .replace(/ AUTO_INCREMENT=\d+/, '');
    assert.equal(plan.shadow?.name, `_${table}_new`);
    assert.equal(plan.shadow?.definition, expected);
    assert.deepEqual(plan.key, { columns: ['id'], index: 'PRIMARY', chunking: 'integer range' });
    assert.ok(plan.estimate.rows > 0 && plan.estimate.dataBytes > 0, JSON.stringify(plan.estimate));
    assert.equal(plan.estimate.sample?.rows, Math.min(5000, plan.estimate.rows));
    assert.ok(typeof plan.estimate.copySeconds === 'number' && plan.estimate.copySeconds >= 0);
    assert.deepEqual(plan.plugins.map((p) => p.name), ['mdl', 'checkpoint', 'throttler', 'checksum']);
    assert.equal(plan.plugins.find((p) => p.name === 'throttler')?.settings?.maxLoad, 500);
    assert.deepEqual(plan.leftovers, []);
  }
  assert.ok(methods.includes('instant') && methods.includes('copy'), `both answers exercised: ${methods.join(', ')}`);
  // Human output: the same facts as lines.
  const human = await runCli([...connectionFlags(DB), '--statement', 'ALTER TABLE t_plan2 ADD INDEX idx_v (v)', '--dry-run'], { built: true });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^dry run of cli_dry_run_test\.t_plan2: nothing was changed$/m);
  assert.match(human.stdout, /^ {2}method {5}copy to a shadow table, then cutover/m);
  assert.match(human.stdout, /^ {2}key {8}id \(copy in integer range chunks/m);
  assert.match(human.stdout, /^ {6}KEY `idx_v` \(`v`\)/m);
  assert.match(human.stdout, /^ {4}throttler maxLoad=0 /m);
});

test('without the privilege to turn sql_log_bin off, the native answer is "unknown" and nothing is binlogged', async () => {
  await makeTable('t_nopriv');
  const pw = 'dry-nopriv-pw-1';
  await admin.query(`CREATE OR REPLACE USER 'dry_nopriv'@'%' IDENTIFIED BY '${pw}'`);
  await admin.query("GRANT REPLICATION SLAVE, BINLOG MONITOR, RELOAD ON *.* TO 'dry_nopriv'@'%'");
  await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, LOCK TABLES, CREATE TEMPORARY TABLES ON ${DB}.* TO 'dry_nopriv'@'%'`);
  try {
    const before = await serverState();
    const s = testServer();
    const r = await runCli(['--host', s.host, '--port', String(s.port), '--user', 'dry_nopriv', '--database', DB,
      '--statement', 'ALTER TABLE t_nopriv ADD INDEX idx_c (c)', '--dry-run', '--json'], { built: true, env: { MYSQL_PWD: pw } });
    assert.equal(r.code, 0, r.stderr);
    const plan = planOf(r.stdout);
    assert.equal(plan.method, 'unknown');
    assert.match(plan.methodNote ?? '', /may not SET sql_log_bin/);
    assert.match(plan.shadow?.definition ?? '', /^CREATE TABLE `_t_nopriv_new` \([\s\S]*KEY `idx_c` \(`c`\)/);
    assert.equal(plan.shadow?.droppedColumns, null);
    assert.deepEqual(await serverState(), before);
  } finally {
    await admin.query("DROP USER IF EXISTS 'dry_nopriv'@'%'");
  }
});

test('a dry run refuses as a real run does: the same one line and exit code, nothing changed', async () => {
  await pool.query('CREATE TABLE t_nopk (a INT NOT NULL, b INT)');
  await makeTable('t_held');
  const holder = await mysql.createConnection({ ...testServer(), database: DB });
  try {
    await holder.query('SELECT GET_LOCK(?, 0)', [lockName(DB, 't_held')]);
    for (const statement of ['ALTER TABLE t_nopk ADD INDEX (b)', 'ALTER TABLE t_held ADD INDEX (c)', 'ALTER TABLE t_held ADD COLUMN x INT, ADD COLUMN x INT']) {
      const before = await serverState();
      const dry = await runCli([...connectionFlags(DB), '--statement', statement, '--dry-run'], { built: true });
      const real = await runCli([...connectionFlags(DB), '--statement', statement], { built: true });
      assert.notEqual(dry.code, 0, dry.stderr);
      assert.equal(dry.code, real.code, `${statement}: ${real.stderr}`);
      assert.equal(errorLines(dry.stderr).length, 1, dry.stderr);
      assert.deepEqual(errorLines(dry.stderr), errorLines(real.stderr));
      assert.deepEqual(await serverState(), before);
    }
  } finally {
    await holder.end();
  }
});
