/**
 * `migrate ctl max-replica-lag=…` against a real lagging replica (test/support/replica.ts): the
 * replica's SQL thread is held on a row lock, so Seconds_Behind_Master grows; lowering the limit
 * below the lag pauses the running copy, raising it again lets it go on, and the run completes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import { freshDatabase } from '../support/db.ts';
import { connectionFlags, startCli } from '../support/cli.ts';
import { ReplicaSandbox } from '../support/replica.ts';
import { ctl, sleep, slowCopyDir, status, waitForStatus } from '../support/control.ts';
import { ensureBuilt } from './examples-helpers.ts';

const DB = 'ctl_replica';
const replica = new ReplicaSandbox({ wildDoTable: 'ctl_replica%.%' });
let pool: Pool;

before(async () => {
  ensureBuilt();
  await replica.start();
  pool = await freshDatabase(DB);
  await pool.query('CREATE TABLE lagt (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL)');
  await pool.query("INSERT INTO lagt SELECT seq, CONCAT('v', seq) FROM seq_1_to_30000");
  await pool.query('CREATE TABLE blocker (id INT PRIMARY KEY, n INT NOT NULL)');
  await pool.query('INSERT INTO blocker VALUES (1, 0)');
  await replica.waitCaughtUp();
});
after(async () => {
  await pool?.query(`DROP DATABASE IF EXISTS ${DB}`);
  await pool?.end();
  await replica.stop();
});

test('max-replica-lag changed while the copy runs pauses and resumes it against a lagging replica', { timeout: 240_000 }, async () => {
  const { config, socket } = await slowCopyDir(300);
  // hold the replica's SQL thread on a row lock: the replicated UPDATE waits, the replica lags more and more
  const hold: Connection = await mysql.createConnection({ ...replica.server, database: DB });
  await hold.query('SET SESSION innodb_lock_wait_timeout = 600');
  await hold.beginTransaction();
  await hold.query('SELECT * FROM blocker WHERE id = 1 FOR UPDATE');
  await pool.query('UPDATE blocker SET n = n + 1 WHERE id = 1');
  const run = startCli([
    ...connectionFlags(DB), '--config', config, '--no-native', '--target-chunk-time', '1', '--control-socket', socket,
    '--replica', replica.dsn, '--max-replica-lag', '1h', '--statement', 'ALTER TABLE lagt ADD COLUMN note INT NULL',
  ], { built: true });
  try {
    await waitForStatus(socket, (x) => x.phase === 'copy' && x.rowsCopied > 0 && x.throttled === null, 'the copy running under max-replica-lag 1h');
    await replica.waitUntil((s) => Number(s.Seconds_Behind_Master) >= 2, 'the replica 2 s behind');
    assert.equal((await ctl(socket, 'max-replica-lag=1s')).message, 'max-replica-lag: 1h0m -> 1s');
    await waitForStatus(socket, (x) => /^replica .* lags \d+ s \(max 1 s\)$/.test(x.throttled ?? ''), 'throttled by the replica lag');
    await sleep(1000);
    const held = (await status(socket))!.rowsCopied;
    await sleep(2000);
    assert.equal((await status(socket))!.rowsCopied, held, 'no rows copied while the replica lags more than 1 s');
    await ctl(socket, 'max-replica-lag=1h');
    await waitForStatus(socket, (x) => x.rowsCopied > held && x.throttled === null, 'copying again under max-replica-lag 1h');
    await hold.rollback();
    await ctl(socket, 'chunk-time=500ms');
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
  } finally {
    run.child.kill('SIGKILL');
    await hold.end().catch(() => undefined);
  }
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM lagt');
  assert.equal(Number(row!.n), 30_000);
});
