/**
 * A failure after the RENAME (old-table cleanup, an afterCutover hook) is a success with a
 * warning, and a rerun of the same statement finishes the cleanup without altering the migrated
 * table again (issue 15, item 11).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'mysql2/promise';
import { createMigration, definePlugin, type MigrationEvent, type MigrationResult, type SluicePlugin } from '../../mod.ts';
import { fileDatabases, testConnection } from '../support/db.ts';
import { connectionFlags, runCli } from '../support/cli.ts';

const dbs = fileDatabases();

async function makeTable(pool: Pool, name: string, rows: number): Promise<void> {
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, n INT NULL)`);
  await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq), seq % 7 FROM seq_1_to_${rows}`);
}

async function tables(pool: Pool, db: string): Promise<string[]> {
  const [rows] = await pool.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [db]);
  return (rows as Array<{ t: string }>).map((r) => r.t).sort();
}

/** The indexes on column v: a second run of `ADD INDEX (v)` would add `v_2`. */
async function indexesOnV(pool: Pool, db: string, table: string): Promise<string[]> {
  const [rows] = await pool.query(
    "SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = 'v' ORDER BY 1",
    [db, table],
  );
  return (rows as Array<{ i: string }>).map((r) => r.i);
}

async function run(db: string, statement: string, plugins: SluicePlugin[] = [], strict = false): Promise<{ result: MigrationResult; logs: string[] }> {
  const logs: string[] = [];
  await using m = await createMigration({ connection: testConnection(db), statement, plugins, strict, tryNative: false });
  m.on((e: MigrationEvent) => { if (e.type === 'log') logs.push(`${e.level}: ${e.message}`); });
  return { result: await m.run(), logs };
}

test('the old table cannot be dropped after the swap: success with a warning, the checkpoint kept, and a rerun only finishes the cleanup', async () => {
  const DB = 'swap_cleanup';
  const pool = await dbs.database(DB);
  await makeTable(pool, 't', 3000);
  const statement = 'ALTER TABLE t ADD INDEX (v)';
  // A foreign key that names `_t_old` (created with foreign_key_checks off, say by an earlier
  // tool's leftovers) binds to the old table once it is renamed so: its DROP fails after the swap.
  const pinOldTable = async () => {
    const conn = await pool.getConnection();
    try {
      await conn.query('SET SESSION foreign_key_checks = 0');
      await conn.query('CREATE TABLE child (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES `_t_old` (id))');
    } finally {
      await conn.query('SET SESSION foreign_key_checks = 1');
      conn.release();
    }
  };
  for (const strict of [false, true]) {
    if (strict) {
      await pool.query('DROP TABLE t');
      await makeTable(pool, 't', 3000);
    }
    await pinOldTable();
    const first = await run(DB, statement, [], strict);
    assert.equal(first.result.mode, 'copy');
    assert.equal(first.result.warnings.length, 1, first.logs.join('\n'));
    assert.match(first.result.warnings[0]!, /dropping the original table `_t_old` failed \(.*foreign key constraint fails\): run the same command again to finish the cleanup/);
    assert.equal(first.result.cutover?.oldTable, '_t_old', 'the result says the old table is still there');
    assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v']);
    assert.deepEqual(await tables(pool, DB), ['_t_chkpnt', '_t_old', 'child', 't'], 'the checkpoint is kept for the rerun');
    const [[row]] = await pool.query('SELECT phase, old_table FROM _t_chkpnt') as unknown as [[{ phase: string; old_table: string }]];
    assert.deepEqual({ ...row }, { phase: 'cut-over', old_table: '_t_old' });

    await pool.query('DROP TABLE child'); // the operator removes the cause
    const again = await run(DB, statement, [], strict);
    assert.deepEqual(again.result.warnings, []);
    assert.equal(again.result.resumed, true);
    assert.equal(again.result.rowsCopied, 3000);
    assert.ok(again.logs.some((l) => /already swapped swap_cleanup\.t .*finishing its cleanup; the table is not altered again/.test(l)), again.logs.join('\n'));
    assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v'], 'the rerun did not add the index a second time');
    assert.deepEqual(await tables(pool, DB), ['t'], 'old table and checkpoint dropped');
    const [[count]] = await pool.query('SELECT COUNT(*) AS c FROM t') as unknown as [[{ c: number }]];
    assert.equal(Number(count.c), 3000);
  }
});

test('recording the swap fails: the old table is kept as evidence; a swap never recorded stops the rerun, strict or not', async () => {
  const DB = 'swap_unrecorded';
  const pool = await dbs.database(DB);
  await makeTable(pool, 't', 500);
  const statement = 'ALTER TABLE t ADD INDEX (v)';
  const first = await run(DB, statement, [definePlugin({
    name: 'fails-at-cut-over',
    progress(_ctx, snapshot) {
      if (snapshot.phase === 'cut-over') throw new Error('the disk is full');
    },
  })]);
  assert.match(first.result.warnings.join('\n'), /recording the cutover failed \(plugin fails-at-cut-over: the disk is full\): the original table stays as `_t_old`/);
  assert.deepEqual(await tables(pool, DB), ['_t_chkpnt', '_t_old', 't'], 'old table not dropped');
  // A process killed between the RENAME and the record leaves the checkpoint of the phase before.
  await pool.query("UPDATE _t_chkpnt SET phase = 'cutover', old_table = NULL");
  for (const strict of [false, true]) {
    await assert.rejects(run(DB, statement, [], strict), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CHECKPOINT_POSSIBLY_CUT_OVER', err.message);
      assert.match(err.message, /`swap_unrecorded`\.`_t_old` is there, so an earlier run has probably already swapped the tables/);
      return true;
    });
    assert.deepEqual(await tables(pool, DB), ['_t_chkpnt', '_t_old', 't'], 'nothing changed');
    assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v']);
  }
  await pool.query("UPDATE _t_chkpnt SET phase = 'cut-over', old_table = '_t_old'");
  const again = await run(DB, statement);
  assert.deepEqual(again.result.warnings, []);
  assert.deepEqual(await tables(pool, DB), ['t']);
  assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v']);
});

test('CLI: an afterCutover hook that fails is a success with a warning (exit 0, printed, in --json); the rerun finishes and exits 0', async () => {
  const DB = 'swap_cli';
  const pool = await dbs.database(DB);
  await makeTable(pool, 't', 1000);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-swap-'));
  await writeFile(join(dir, 'failing-plugin.mjs'), `
    export default () => ({ name: 'notify', afterCutover() { throw new Error('the chat webhook is down'); } });
  `);
  await writeFile(join(dir, 'migrate.config.mjs'), `export default { plugins: ['./failing-plugin.mjs'], tryNative: false };\n`);
  const args = [...connectionFlags(DB), '--statement', 'ALTER TABLE t ADD INDEX (v)'];

  const r = await runCli(args, { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /migrate: swap_cli\.t migrated: 1,000 rows copied.*, with 1 warning\(s\): plugin notify: afterCutover failed after the tables were swapped: the chat webhook is down/);
  assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v']);
  assert.deepEqual(await tables(pool, DB), ['_t_chkpnt', 't'], 'old table dropped, checkpoint kept for the rerun');

  const json = await runCli([...args, '--json'], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const done = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as MigrationEvent).find((e) => e.type === 'done');
  assert.ok(done && done.type === 'done', json.stdout);
  assert.equal(done.result.resumed, true, 'the rerun finished the earlier run');
  assert.deepEqual(done.result.warnings, ['plugin notify: afterCutover failed after the tables were swapped: the chat webhook is down']);
  assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v'], 'never altered twice');

  await writeFile(join(dir, 'migrate.config.mjs'), `export default { tryNative: false };\n`);
  const fixed = await runCli(args, { cwd: dir });
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.match(fixed.stderr, /already swapped swap_cli\.t .*the table is not altered again/);
  assert.doesNotMatch(fixed.stderr, /warning\(s\)/);
  assert.deepEqual(await indexesOnV(pool, DB, 't'), ['v']);
  assert.deepEqual(await tables(pool, DB), ['t']);
});
