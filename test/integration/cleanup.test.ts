/**
 * `migrate cleanup --table T`: after a migration interrupted while waiting for its deferred cutover,
 * a dry run lists the shadow, checkpoint and sentinel and changes nothing; `--yes` drops them and
 * leaves the table as it was; a running migration of T (its lock held) is a refusal; the sentinel
 * stays while another migration in the schema runs; `t~old` stays while `t` is missing.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool } from 'mysql2/promise';
import { createMigration, definePlugin, lockName } from '../../mod.ts';
import { connectionFlags, runCli, startCli } from '../support/cli.ts';
import { appPool, fileDatabases, testConnection } from '../support/db.ts';

const DB = 'cleanup_test';
const dbs = fileDatabases();
let pool: Pool;

before(async () => { pool = await dbs.database(DB); });

async function tables(): Promise<string[]> {
  const [rows] = await pool.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [DB]);
  return (rows as Array<{ t: string }>).map((r) => r.t);
}

async function rowsOf(table: string): Promise<unknown[]> {
  const [rows] = await pool.query(`SELECT * FROM ${mysql.escapeId(table)} ORDER BY id`);
  return rows as unknown[];
}

const cleanup = (table: string, ...extra: string[]) => runCli(['cleanup', ...connectionFlags(DB), '--table', table, ...extra]);

test('after an interrupted deferred migration: a dry run lists the leftovers and changes nothing; --yes drops them, the table intact', async () => {
  await pool.query('CREATE TABLE t_left (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO t_left SELECT seq, CONCAT('v', seq) FROM seq_1_to_2000");
  const original = await rowsOf('t_left');
  const { child, done } = startCli([...connectionFlags(DB), '--no-native', '--defer-cutover', '--statement', 'ALTER TABLE t_left ADD COLUMN d INT NULL']);
  for (let i = 0; i < 300 && !(await tables()).includes('_sluice_sentinel'); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  assert.equal((await done).code, 130);
  const left = await tables();
  for (const t of ['_t_left_new', '_t_left_chkpnt', '_sluice_sentinel']) assert.ok(left.includes(t), `${t} missing: ${left.join(', ')}`);

  const dry = await cleanup('t_left');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would drop _t_left_new \(shadow\)/);
  assert.match(dry.stdout, /would drop _t_left_chkpnt \(checkpoint\)/);
  assert.match(dry.stdout, /would drop _sluice_sentinel \(sentinel\)/);
  assert.match(dry.stdout, /dry run: nothing changed; run again with --yes/);
  assert.deepEqual(await tables(), left, 'a dry run changed the schema');

  const json = await runCli(['cleanup', ...connectionFlags(DB), '--table', `${DB}.t_left`, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as { type: string; applied: boolean; leftovers: Array<{ name: string; kind: string }> };
  assert.equal(doc.type, 'cleanup');
  assert.equal(doc.applied, false);
  assert.deepEqual(doc.leftovers.map((l) => l.kind).sort(), ['checkpoint', 'sentinel', 'shadow']);

  const wet = await cleanup('t_left', '--yes');
  assert.equal(wet.code, 0, wet.stderr);
  assert.match(wet.stdout, /3 table\(s\) dropped/);
  assert.deepEqual(await tables(), ['t_left']);
  assert.deepEqual(await rowsOf('t_left'), original);
  assert.match((await cleanup('t_left')).stdout, /nothing left by a migration of cleanup_test\.t_left/);
});

test('cleanup refuses while a migration of the table holds its lock, and touches nothing', async () => {
  await pool.query('CREATE TABLE t_busy (id INT PRIMARY KEY)');
  await pool.query('CREATE TABLE _t_busy_new (id INT PRIMARY KEY)');
  const holder = appPool(DB, 1);
  dbs.own(holder);
  const conn = await holder.getConnection();
  try {
    const [[ids]] = await conn.query('SELECT CONNECTION_ID() AS id, GET_LOCK(?, 0) AS ok', [lockName(DB, 't_busy')]) as unknown as [[{ id: number; ok: number }]];
    assert.equal(ids.ok, 1);
    const r = await cleanup('t_busy', '--yes');
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`migrate: error: a migration of \`${DB}\`.\`t_busy\` is running (connection ${ids.id} holds its lock): stop it`), r.stderr);
    assert.ok((await tables()).includes('_t_busy_new'), 'dropped under a running migration');
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lockName(DB, 't_busy')]);
    conn.release();
  }
});

test('the sentinel stays while another table of the schema is being migrated; t~old stays while t is missing; _t_old is never dropped', async () => {
  await pool.query('CREATE TABLE t_other (id INT PRIMARY KEY)');
  await pool.query('CREATE TABLE `_sluice_sentinel` (id INT)');
  await pool.query('CREATE TABLE `t_gone~old` (id INT PRIMARY KEY)');
  await pool.query('CREATE TABLE `_t_gone_old` (id INT PRIMARY KEY)');
  await pool.query('CREATE TABLE `t_gone~new` (id INT PRIMARY KEY)');
  const holder = appPool(DB, 1);
  dbs.own(holder);
  const conn = await holder.getConnection();
  try {
    await conn.query('SELECT GET_LOCK(?, 0)', [lockName(DB, 't_other')]);
    const r = await cleanup('t_gone', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropped {2}t_gone~new \(swap-shadow\)/);
    assert.match(r.stdout, /kept {5}t_gone~old \(swap-original\): t_gone is missing, so this may be its only copy/);
    assert.match(r.stdout, /kept {5}_t_gone_old \(kept-original\)/);
    assert.match(r.stdout, /kept {5}_sluice_sentinel \(sentinel\): .* t_other is being migrated/);
    const left = await tables();
    for (const t of ['t_gone~old', '_t_gone_old', '_sluice_sentinel']) assert.ok(left.includes(t), `${t} was dropped`);
    assert.ok(!left.includes('t_gone~new'));
  } finally {
    await conn.query('SELECT RELEASE_LOCK(?)', [lockName(DB, 't_other')]);
    conn.release();
  }
  const again = await cleanup('t_gone', '--yes');
  assert.match(again.stdout, /dropped {2}_sluice_sentinel \(sentinel\)/, 'the sentinel is taken once no migration runs');
});

test('a checkpoint in phase cut-over (tables swapped, cleanup unfinished) is kept and explained; the rerun it points to finishes', async () => {
  await pool.query('CREATE TABLE t_swapped (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO t_swapped SELECT seq, CONCAT('v', seq) FROM seq_1_to_500");
  const statement = 'ALTER TABLE t_swapped ADD COLUMN d INT NULL';
  // A step after the swap fails: the migration succeeds with a warning and keeps its checkpoint (phase cut-over).
  const failing = definePlugin({ name: 'fails-after-cutover', afterCutover() { throw new Error('notifier down'); } });
  {
    await using migration = await createMigration({ connection: testConnection(DB), statement, tryNative: false, keepOldTable: true, plugins: [failing] });
    const result = await migration.run();
    assert.equal(result.warnings.length, 1, result.warnings.join('; '));
  }
  const [[cp]] = await pool.query('SELECT phase, old_table FROM _t_swapped_chkpnt') as unknown as [Array<{ phase: string; old_table: string }>];
  assert.equal(cp?.phase, 'cut-over');

  const r = await cleanup('t_swapped', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kept {5}_t_swapped_chkpnt \(checkpoint\): its migration already swapped the tables \(t_swapped is the altered table, the original is _t_swapped_old\) and stopped before its cleanup: run the same migrate command again to finish it/);
  assert.ok((await tables()).includes('_t_swapped_chkpnt'), 'the checkpoint was dropped');

  const rerun = await runCli([...connectionFlags(DB), '--no-native', '--keep-old-table', '--statement', statement]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.ok(!(await tables()).includes('_t_swapped_chkpnt'), 'the rerun finished the cleanup');
  const [cols] = await pool.query("SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't_swapped' AND COLUMN_NAME = 'd'", [DB]);
  assert.equal(Number((cols as Array<{ n: number }>)[0]!.n), 1, 'altered once');
});

test('cleanup input errors are one line, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['cleanup', ...connectionFlags(DB)], /migrate cleanup needs the table: pass --table T/],
    [['cleanup', '--user', 'x', '--table', 't'], /no schema for table t: pass --database D or --table D\.t/],
    [['clean', ...connectionFlags(DB)], /unknown command "clean": the commands are cleanup and ctl/],
    [[...connectionFlags(DB), '--table', 't', '--statement', 'ALTER TABLE t ADD c INT'], /--table and --yes belong to migrate cleanup/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('migrate: error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, pattern);
  }
});
