/**
 * A resume on another server (issue 15, item 12). The checkpoint records the server's identity
 * and the GTID position of what replay applied; a second server translates the position through
 * its own binlogs (a replica that logged what it replicated, after a failover) or refuses.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { auxPort } from '../../scripts/sandbox.ts';
import { createMigration, definePlugin, type MigrationEvent, type MigrationResult } from '../../mod.ts';
import { compareTables, describeComparison, isIdentical } from '../support/compare.ts';
import { fileDatabases, testConnection } from '../support/db.ts';
import { ReplicaSandbox } from '../support/replica.ts';

const SPEC = 'ADD COLUMN extra INT NOT NULL DEFAULT 7, ADD INDEX n_idx (n)';
const STATEMENT = `ALTER TABLE t ${SPEC}`;
const dbs = fileDatabases();
const second = new ReplicaSandbox({ port: auxPort('secondServer'), name: 'second', serverId: 7, extraArgs: ['--log-slave-updates'] });
const secondPools: Pool[] = [];

before(async () => {
  await second.start();
  const [row] = await second.query('SELECT @@log_slave_updates AS l');
  if (Number(row?.l) !== 1) { // a server left running by an older test, without the option
    await second.stop();
    await second.start();
  }
});
after(async () => {
  for (const p of secondPools) await p.end();
  for (const db of ['chk_failover', 'chk_foreign']) await second.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
  await second.stop();
});

function secondPool(db: string): Pool {
  const s = second.server;
  const pool = mysql.createPool({ host: s.host, port: s.port, user: s.user, password: s.password, database: db, connectionLimit: 4 });
  secondPools.push(pool);
  return pool;
}

const secondConnection = (db: string) => ({ host: second.server.host, port: second.server.port, user: second.server.user, password: second.server.password, database: db });

async function makeTable(pool: Pool, rows: number): Promise<void> {
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, n INT NULL)');
  await pool.query(`INSERT INTO t SELECT seq, CONCAT('v', seq), seq % 7 FROM seq_1_to_${rows}`);
}

/** Writes the replay must carry into the shadow table. */
async function writes(pool: Pool, round: number): Promise<void> {
  await pool.query('UPDATE t SET v = CONCAT(v, ?) WHERE id % 97 = ?', [`-r${round}`, round]);
  await pool.query('DELETE FROM t WHERE id % 89 = ?', [round]);
  await pool.query('INSERT INTO t (id, v, n) SELECT 100000 + seq + ? * 100, CONCAT(\'new\', seq), seq FROM seq_1_to_20', [round]);
}

/** Runs on the primary until the deferred cutover waits, with writes replayed, then cancels it. */
async function interruptedOnPrimary(db: string, pool: Pool): Promise<void> {
  let waiting!: () => void;
  const reached = new Promise<void>((r) => { waiting = r; });
  await using m = await createMigration({
    connection: testConnection(db), statement: STATEMENT, tryNative: false, deferCutover: true, progressIntervalMs: 40,
    checkpoint: { interval: 50 },
    plugins: [definePlugin({ name: 'watch', progress(_ctx, s) { if (s.phase === 'wait-for-cutover') waiting(); } })],
  });
  const run = m.run().then(() => new Error('the run should wait for the sentinel'), (err: Error) => err);
  await Promise.race([reached, run.then((err) => { throw err; })]);
  await writes(pool, 1);
  await new Promise((r) => setTimeout(r, 300)); // replayed and checkpointed
  m.cancel('the test interrupts it');
  assert.equal((await run).name, 'MigrationCancelledError');
  await writes(pool, 2); // after the checkpoint: only replay from the saved position brings them
}

async function run(connection: ReturnType<typeof secondConnection>, strict: boolean): Promise<{ result: MigrationResult; logs: string[] }> {
  const logs: string[] = [];
  await using m = await createMigration({ connection, statement: STATEMENT, strict, tryNative: false });
  m.on((e: MigrationEvent) => { if (e.type === 'log') logs.push(`${e.level}: ${e.message}`); });
  return { result: await m.run(), logs };
}

/** The server's own ALTER on a copy of the same rows. */
async function expectedCopy(pool: Pool): Promise<void> {
  await pool.query('CREATE TABLE expected LIKE t');
  await pool.query('INSERT INTO expected SELECT * FROM t');
  await pool.query(`ALTER TABLE expected ${SPEC}`);
}

async function assertSameAsServerAlter(pool: Pool, db: string): Promise<void> {
  const c = await compareTables(pool, db, 't', 'expected');
  assert.ok(isIdentical(c), describeComparison(c));
}

async function tableNames(pool: Pool, db: string): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [db]);
  return rows.map((r) => String(r.t)).sort();
}

test('failover to a replica: the checkpoint of the old primary resumes there, its position translated through the GTID position', async () => {
  const DB = 'chk_failover';
  const primary = await dbs.database(DB); // created after the replica started: it replicates
  await makeTable(primary, 4000);
  await interruptedOnPrimary(DB, primary);
  const [[saved]] = await primary.query<RowDataPacket[]>('SELECT server_id, binlog_file, binlog_position, binlog_gtid, phase FROM _t_chkpnt');
  assert.equal(String(saved!.server_id), '1');
  assert.match(String(saved!.binlog_gtid), /^0-1-\d+$/, 'the exact GTID position of the applied binlog position');

  await second.waitCaughtUp();
  await second.query('STOP SLAVE');
  await second.query('RESET SLAVE ALL'); // the failover: the replica is the primary now
  const pool = secondPool(DB);
  await pool.query('DROP TABLE _sluice_sentinel'); // the deferred cutover's sentinel came along: cut over now
  await expectedCopy(pool);
  const { result, logs } = await run(secondConnection(DB), true);
  assert.equal(result.resumed, true, logs.join('\n'));
  const translated = logs.find((l) => l.includes('written on another server'));
  assert.ok(translated, logs.join('\n'));
  assert.match(translated, new RegExp(`${saved!.binlog_file}:${saved!.binlog_position} on server_id 1 is GTID position ${saved!.binlog_gtid}, which is binlog\\.\\d+:\\d+ on this server \\(server_id 7\\)`));
  await assertSameAsServerAlter(pool, DB);
  assert.deepEqual(await tableNames(pool, DB), ['expected', 't']);
});

test('a second server without those transactions: strict refuses with ServerChangedError and keeps everything; non-strict warns and starts fresh', async () => {
  const DB = 'chk_foreign';
  const primary = await dbs.database(DB); // replication is off by now: the second server never sees it
  await makeTable(primary, 3000);
  await interruptedOnPrimary(DB, primary);
  // Copy the three tables onto the second server, as a hand-made restore would.
  await second.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
  const pool = secondPool(DB);
  for (const name of ['t', '_t_new', '_t_chkpnt']) {
    const [[create]] = await primary.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${name}\``);
    await pool.query(String(create!['Create Table']));
    const [rows] = await primary.query<RowDataPacket[]>(`SELECT * FROM \`${name}\``);
    for (let i = 0; i < rows.length; i += 500) await pool.query(`INSERT INTO \`${name}\` VALUES ?`, [rows.slice(i, i + 500).map((r) => Object.values(r))]);
  }
  const before = await tableNames(pool, DB);
  await assert.rejects(run(secondConnection(DB), true), (err: Error & { code?: string }) => {
    assert.equal(err.name, 'ServerChangedError', String(err));
    assert.equal(err.code, 'CHECKPOINT_SERVER_CHANGED');
    assert.match(err.message, /written on server_id 1, this is server_id 7, and no position in this server's binlogs has GTID position 0-1-\d+/);
    return true;
  });
  assert.deepEqual(await tableNames(pool, DB), before, 'strict: nothing dropped');
  await expectedCopy(pool);
  const { result, logs } = await run(secondConnection(DB), false);
  assert.equal(result.resumed, false);
  assert.ok(logs.some((l) => /^warn: not resuming: checkpoint .* was written on another server/.test(l)), logs.join('\n'));
  await assertSameAsServerAlter(pool, DB);
});
