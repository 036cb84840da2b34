/**
 * Issue 9, triggers: a table with triggers migrates; its triggers fire on the original until the
 * cutover and on the new table from the first write after it, never for the copy's or replay's
 * own writes, none lost or doubled. Checked row by row against the load's own log
 * (test/support/trigger-load.ts) and against the server's own ALTER of the same rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { cleanupMigration, createMigration, definePlugin, sleep, TriggersError } from '../../mod.ts';
import { createTrigger, readTriggerDefs } from '../../core/triggers/read.ts';
import { SCHEMA_PRIVILEGES } from '../../core/preflight/privileges.ts';
import { compareTables, describeComparison, isIdentical } from '../support/compare.ts';
import { startCli, connectionFlags } from '../support/cli.ts';
import { fileDatabases, testConnection } from '../support/db.ts';
import { AUDIT, buildExpected, checkAudit, LONG_TRIGGER, seed, SOURCE, TriggerLoad, triggerSql, triggersOf } from '../support/trigger-load.ts';

const dbs = fileDatabases();
const ALTER = "ADD COLUMN extra INT NOT NULL DEFAULT 7, MODIFY note VARCHAR(60) NOT NULL DEFAULT ''";
const WORKERS = 3;

async function setup(name: string): Promise<Pool> {
  const pool = await dbs.database(name);
  await pool.query(SOURCE);
  await pool.query(AUDIT);
  await seed(pool, WORKERS);
  await pool.query('CREATE TABLE seed_t LIKE t');
  await pool.query('INSERT INTO seed_t SELECT * FROM t');
  for (const sql of triggerSql('t')) await pool.query(sql);
  return pool;
}

async function tables(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1');
  return rows.map((r) => String(r.t));
}

async function allTriggers(pool: Pool): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT CONCAT(EVENT_OBJECT_TABLE, \'.\', TRIGGER_NAME) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1');
  return rows.map((r) => String(r.n));
}

/** Stops the load, then: the audit matches the log, `t` matches the server's ALTER, triggers intact on `t` only. */
async function finish(pool: Pool, load: TriggerLoad, before: Record<string, unknown>[]): Promise<void> {
  await load.stop();
  await checkAudit(pool, load.logs);
  await buildExpected(pool, ALTER, load.logs);
  const cmp = await compareTables(pool, String((await pool.query<RowDataPacket[]>('SELECT DATABASE() AS d'))[0][0]!.d), 't', 'expected_t');
  assert.ok(isIdentical(cmp), describeComparison(cmp));
  assert.deepEqual(await triggersOf(pool, 't'), before, 'the same triggers, same definitions, on the new t');
  assert.deepEqual((await allTriggers(pool)).filter((n) => !n.startsWith('expected_t.')),
    before.map((d) => `t.${String(d.name)}`).sort(), 'no trigger anywhere else');
}

test('triggers move at the cutover under a concurrent write load: one audit row per write, rows as the server\'s ALTER', async () => {
  const pool = await setup('trg_move');
  const before = await triggersOf(pool, 't');
  assert.equal(before.length, 4);
  assert.ok(before.some((d) => d.name === LONG_TRIGGER && LONG_TRIGGER.length === 64));
  const load = new TriggerLoad(pool, WORKERS, 1);
  load.start();
  let shadowTriggersDuringCopy = -1;
  let writesAtCopyEnd = 0;
  const plugin = definePlugin({
    name: 'pace',
    async beforeChunk(ctx) { await sleep(30, ctx.signal); },
    async afterCopy() {
      writesAtCopyEnd = load.writes;
      shadowTriggersDuringCopy = (await allTriggers(pool)).filter((n) => !n.startsWith('t.')).length;
    },
    async beforeCutover() { await load.waitFor(writesAtCopyEnd + 200); },
  });
  await load.waitFor(50);
  await using migration = await createMigration({
    connection: testConnection('trg_move'), statement: `ALTER TABLE t ${ALTER}`, tryNative: false, checksum: true,
    threads: 2, targetChunkMs: 5, keepOldTable: true, plugins: [plugin],
  });
  const result = await migration.run();
  const atSwap = load.writes;
  await load.waitFor(atSwap + 300);
  assert.equal(result.mode, 'copy');
  assert.equal(shadowTriggersDuringCopy, 0, 'the shadow has no trigger during copy and replay');
  const old = result.cutover!.oldTable!;
  assert.ok(old, 'the original is kept');
  assert.deepEqual(await triggersOf(pool, old), [], `no trigger left on the kept original ${old}`);
  await finish(pool, load, before);
});

test('a trigger that cannot be moved is refused with TriggersError naming it and why; nothing changes', async () => {
  const pool = await setup('trg_refuse');
  const check = async (alter: string, pattern: RegExp, trigger: string) => {
    const tablesBefore = await tables(pool);
    const triggersBefore = await allTriggers(pool);
    const [[createBefore]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
    await using migration = await createMigration({ connection: testConnection('trg_refuse'), statement: `ALTER TABLE t ${alter}`, tryNative: false });
    const err = await migration.run().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof TriggersError, String(err));
    assert.equal(err.trigger, trigger);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
    assert.deepEqual(await tables(pool), tablesBefore, 'no table created or left behind');
    assert.deepEqual(await allTriggers(pool), triggersBefore);
    const [[createAfter]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
    assert.deepEqual(createAfter, createBefore);
  };
  // the ALTER drops the column the triggers set (trg_bi) and read (trg_ai, first in the server's order)
  await check('DROP COLUMN v2', /^trigger `trg_ai` on `trg_refuse`\.`t` cannot be moved to the new table: the server refuses it on the new table: Unknown column 'v2' in 'NEW'/, 'trg_ai');
  // a body naming a table the swap renames
  await pool.query('CREATE TABLE `_t_old_log` (id INT)');
  await pool.query('CREATE TRIGGER trg_log AFTER DELETE ON t FOR EACH ROW INSERT INTO `_t_old_log` VALUES (OLD.id)');
  await check('ADD COLUMN c INT', /trigger `trg_log` .* its body references `_t_old_log`, a name the migration creates or renames/, 'trg_log');
});

test('SIGKILL mid-copy, then a resumed run: triggers stay on t during the whole time and move once', async () => {
  const pool = await setup('trg_kill');
  const before = await triggersOf(pool, 't');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-trg-'));
  const root = join(import.meta.dirname, '..', '..');
  const config = join(dir, 'migrate.config.mjs');
  writeFileSync(config, [
    `import { checkpointPlugin } from ${JSON.stringify(join(root, 'plugins/checkpoint/index.ts'))};`,
    `import { definePlugin, sleep } from ${JSON.stringify(join(root, 'mod.ts'))};`,
    "export default { progressIntervalMs: 50, plugins: [checkpointPlugin({ interval: '200ms' }), definePlugin({ name: 'pacer', async afterChunk(ctx) { await sleep(150, ctx.signal); } })] };",
  ].join('\n'));
  const args = [...connectionFlags('trg_kill'), '--statement', `ALTER TABLE t ${ALTER}`, '--threads', '2', '--target-chunk-time', '5', '--no-native', '--config', config];
  const load = new TriggerLoad(pool, WORKERS, 2);
  load.start();
  try {
    const first = startCli(args);
    let stderr = '';
    first.child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const until = Date.now() + 60_000;
    while (!stderr.includes('migrate: copy\n')) {
      if (Date.now() > until) throw new Error(`the first run never reached the copy: ${stderr}`);
      await pause(20);
    }
    await pause(700);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', `killed, not exited: ${killed.stderr}`);
    assert.doesNotMatch(killed.stderr, /migrate: cutover/, 'killed during the copy');
    assert.deepEqual(await triggersOf(pool, 't'), before, 'after the kill the triggers are on t, untouched');
    assert.deepEqual((await allTriggers(pool)).filter((n) => !n.startsWith('t.')), [], 'and nowhere else');
    const writesAtResume = load.writes;
    const second = await startCli(args).done;
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming: copy after/, 'the second run resumed');
    await load.waitFor(writesAtResume + 200);
    await finish(pool, load, before);
  } finally {
    await load.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The state a run leaves when it dies inside its cutover's move: some triggers on the shadow. */
async function strandOnShadow(pool: Pool, names: string[]): Promise<void> {
  await pool.query('CREATE TABLE `_t_new` LIKE t');
  const conn = await pool.getConnection();
  try {
    const defs = await readTriggerDefs(conn, 'trg_strand', 't');
    for (const def of defs.filter((d) => names.includes(d.name))) {
      await conn.query(`DROP TRIGGER \`${def.name}\``);
      await createTrigger(conn, def, 'trg_strand', '_t_new');
    }
  } finally {
    conn.release();
  }
}

test('triggers a dead run left on the shadow go back to t: migrate cleanup --yes, and the next run before it starts fresh', async () => {
  const pool = await setup('trg_strand');
  const before = await triggersOf(pool, 't');
  await strandOnShadow(pool, ['trg_ai', LONG_TRIGGER]);
  assert.deepEqual((await allTriggers(pool)).filter((n) => n.startsWith('_t_new.')), ['_t_new.trg_ai', `_t_new.${LONG_TRIGGER}`]);
  const report = await cleanupMigration({ connection: testConnection('trg_strand'), table: 't', apply: true });
  assert.deepEqual(report.dropped, ['_t_new']);
  assert.deepEqual(await triggersOf(pool, 't'), before, 'cleanup moved them back before dropping the shadow');

  await strandOnShadow(pool, ['trg_bi', 'trg_au']);
  const load = new TriggerLoad(pool, WORKERS, 3);
  // the stranded state is the dead run's: the load starts once the next run has put them back
  await using migration = await createMigration({
    connection: testConnection('trg_strand'), statement: `ALTER TABLE t ${ALTER}`, tryNative: false,
    plugins: [definePlugin({ name: 'load', beforeCopy() { load.start(); }, async beforeChunk(ctx) { await sleep(20, ctx.signal); }, async beforeCutover() { await load.waitFor(300); } })],
  });
  const logs: string[] = [];
  migration.on((e) => { if (e.type === 'log') logs.push(e.message); });
  await migration.run();
  await load.waitFor(load.writes + 100);
  assert.ok(logs.some((m) => /trigger\(s\) trg_au, trg_bi were on the shadow table/.test(m)), logs.join('\n'));
  await finish(pool, load, before);
});

test('a trigger whose DEFINER the user may not set (no SUPER / SET USER) is refused, naming it; nothing changes', async () => {
  const pool = await setup('trg_definer');
  const user = 'trg_limited';
  const password = 'pw-trg-limited-Secret9';
  await pool.query(`DROP USER IF EXISTS ?@'%'`, [user]);
  await pool.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
  try {
    await pool.query(`GRANT REPLICATION SLAVE, REPLICATION CLIENT, RELOAD ON *.* TO ?@'%'`, [user]);
    await pool.query(`GRANT ${SCHEMA_PRIVILEGES.join(', ')}, TRIGGER ON trg_definer.* TO ?@'%'`, [user]);
    const [[{ definer }]] = await pool.query<RowDataPacket[]>("SELECT DEFINER AS definer FROM information_schema.TRIGGERS WHERE TRIGGER_NAME = 'trg_ai'");
    const tablesBefore = await tables(pool);
    const refusal = async () => {
      await using migration = await createMigration({
        connection: { ...testConnection('trg_definer'), user, password }, statement: `ALTER TABLE t ${ALTER}`, tryNative: false,
      });
      const err = await migration.run().then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof TriggersError, String(err));
      assert.equal(err.trigger, LONG_TRIGGER, `definer ${definer}: the first in the server's order (AFTER DELETE)`);
      assert.doesNotMatch(err.message, /\n/);
      assert.deepEqual(await tables(pool), tablesBefore);
      assert.equal((await triggersOf(pool, 't')).length, 4);
      return err.message;
    };
    // with the binlog on, creating any trigger needs SUPER unless log_bin_trust_function_creators
    assert.match(await refusal(), /the server refuses it on the new table: You do not have the SUPER privilege and binary logging is enabled/);
    const [[{ trust }]] = await pool.query<RowDataPacket[]>('SELECT @@GLOBAL.log_bin_trust_function_creators AS trust');
    await pool.query('SET GLOBAL log_bin_trust_function_creators = 1');
    try {
      // then another account's DEFINER still needs SUPER or SET USER
      assert.match(await refusal(), /the server refuses it on the new table: Access denied; you need \(at least one of\) the (SUPER|SET USER)/);
    } finally {
      await pool.query(`SET GLOBAL log_bin_trust_function_creators = ${Number(trust) ? 1 : 0}`);
    }
  } finally {
    await pool.query(`DROP USER IF EXISTS ?@'%'`, [user]);
  }
});
