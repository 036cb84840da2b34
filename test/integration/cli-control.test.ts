/**
 * The control endpoint through the built `migrate` CLI, as an operator uses it: every `migrate ctl`
 * command changes a running copy (pause, threads, chunk-time, max-load, cutover, abort, ?name), the
 * socket is owner-only and gone after SIGINT and SIGTERM, and a socket left by SIGKILL is replaced
 * while a live one is refused. The migrated table is compared with the server's own ALTER of a copy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { testServer } from '../../scripts/sandbox.ts';
import { freshDatabase } from '../support/db.ts';
import { connectionFlags, startCli } from '../support/cli.ts';
import { ctl, sleep, slowCopyDir, status, waitFor, waitForStatus } from '../support/control.ts';
import { ensureBuilt } from './examples-helpers.ts';

const DB = 'cli_control';
let pool: Pool;

before(async () => {
  ensureBuilt();
  pool = await freshDatabase(DB);
});
after(async () => { await pool.query(`DROP DATABASE IF EXISTS ${DB}`); await pool.end(); });

async function makeTable(name: string, rows: number): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${name}`);
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, n INT NULL)`);
  await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq), seq % 7 FROM seq_1_to_${rows}`);
}

async function tables(): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [DB]);
  return rows.map((r) => String(r.t));
}

async function checksum(table: string): Promise<string> {
  const [[row]] = await pool.query<RowDataPacket[]>(`CHECKSUM TABLE ${table}`);
  return String(row!.Checksum);
}

function migrate(table: string, config: string, extra: string[]) {
  return startCli([
    ...connectionFlags(DB), '--config', config, '--no-native', '--threads', '2', '--target-chunk-time', '1',
    '--statement', `ALTER TABLE ${table} ADD COLUMN note VARCHAR(20) NULL`, ...extra,
  ], { built: true });
}

/** Rows copied stay the same for 2 s once the copy had 1 s to finish the chunks it was in. */
async function assertCopyStopped(socket: string, why: string): Promise<number> {
  await sleep(1000);
  const before = (await status(socket))!.rowsCopied;
  await sleep(2000);
  const after = (await status(socket))!.rowsCopied;
  assert.equal(after, before, `${why}: the row count must not grow`);
  return after;
}

test('migrate ctl: every command changes the running copy; cutover completes the deferred run', { timeout: 300_000 }, async () => {
  await makeTable('steer', 300_000);
  // the independent expectation: the server's own ALTER of the same rows
  await pool.query('CREATE TABLE steer_expected LIKE steer');
  await pool.query('INSERT INTO steer_expected SELECT * FROM steer');
  await pool.query('ALTER TABLE steer_expected ADD COLUMN note VARCHAR(20) NULL');
  const { config, socket } = await slowCopyDir(300);
  // --max-load 1 holds the copy (the binlog dump thread alone is running): between the steps the copy
  // is held, so the test never depends on how fast it goes; max-load=0 lets it run for a step
  const run = migrate('steer', config, ['--defer-cutover', '--control-socket', socket, '--max-load', '1']);
  const held = /^server load: Threads_running=\d+ > maxLoad 1$/;
  try {
    let s = await waitForStatus(socket, (x) => x.phase === 'copy' && held.test(x.throttled ?? ''), 'the copy held by --max-load 1');
    const st = statSync(socket);
    assert.ok(st.isSocket(), 'a Unix socket at --control-socket');
    assert.equal(st.mode & 0o777, 0o600, 'owner-only permissions');
    assert.equal(s.table, `${DB}.steer`);
    assert.deepEqual(s.endpoints, { socket });
    assert.equal((await ctl(socket, '?max-load')).value, 1);
    const atStart = await assertCopyStopped(socket, '--max-load 1');

    // max-load=0 lets it go; pause stops the row count growing, resume restarts it
    assert.equal((await ctl(socket, 'max-load=0')).message, 'max-load: 1 -> 0 (off)');
    await waitForStatus(socket, (x) => x.rowsCopied > atStart, 'the copy going on after max-load=0');
    assert.ok((await ctl(socket, 'pause')).ok);
    await waitForStatus(socket, (x) => /paused by the operator/.test(x.throttled ?? ''), 'throttled by the operator');
    assert.equal((await ctl(socket, '?paused')).value, true);
    const atPause = await assertCopyStopped(socket, 'paused');
    await ctl(socket, 'max-load=1');
    await ctl(socket, 'resume');
    await waitForStatus(socket, (x) => held.test(x.throttled ?? ''), 'held by max-load=1 again after resume');
    assert.equal(await assertCopyStopped(socket, 'max-load=1'), atPause);

    // ?name and threads=N, both ways (workers leave after their chunk: the copy runs a moment for it)
    assert.equal((await ctl(socket, '?threads')).value, 2);
    assert.equal((await ctl(socket, 'threads=3')).message, 'threads: 2 -> 3');
    await waitForStatus(socket, (x) => x.copyWorkers === 3, 'three copy workers after threads=3');
    assert.equal((await ctl(socket, 'threads=1')).message, 'threads: 3 -> 1');
    await ctl(socket, 'max-load=0');
    await waitForStatus(socket, (x) => x.settings.threads === 1 && x.copyWorkers === 1, 'one copy worker after threads=1');
    await ctl(socket, 'max-load=1');
    await waitForStatus(socket, (x) => held.test(x.throttled ?? ''), 'held again');

    // max-replica-lag is read back (its effect on a lagging replica: cli-control-replica.test.ts)
    assert.equal((await ctl(socket, 'max-replica-lag=5s')).message, 'max-replica-lag: 10s -> 5s');
    assert.equal((await status(socket))!.settings['max-replica-lag'], '5s');

    // refused input changes nothing and exits 2
    const bad = await ctl(socket, 'threads=0');
    assert.deepEqual([bad.ok, bad.code, bad.exit], [false, 'CONTROL_VALUE', 2]);
    const unknown = await ctl(socket, 'throttle');
    assert.deepEqual([unknown.ok, unknown.code, unknown.exit], [false, 'CONTROL_COMMAND', 2]);
    assert.equal((await ctl(socket, '?threads')).value, 1);

    // chunk-time: the chunk size follows the new target (then the copy runs to its end)
    const small = (await status(socket))!.chunkSize!;
    assert.equal((await ctl(socket, 'chunk-time=2s')).value, '2s');
    await ctl(socket, 'threads=4');
    await ctl(socket, 'max-load=0');
    await waitForStatus(socket, (x) => x.chunkSize !== null && x.chunkSize > small * 2, `chunks larger than ${small} rows after chunk-time=2s, while the copy runs`);

    // release the deferred cutover
    await waitForStatus(socket, (x) => x.cutover === 'waiting', 'waiting for the deferred cutover', 120_000);
    assert.ok((await tables()).includes('_sluice_sentinel'), 'the sentinel exists while the cutover is deferred');
    assert.equal((await ctl(socket, 'cutover')).message, 'cutover released: the migration cuts over now');
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`control: listening on socket ${socket.replace(/[.]/g, '\\.')}`));
  } catch (err) {
    run.child.kill('SIGKILL');
    const r = await run.done;
    throw new Error(`${(err as Error).message}\nmigrate's output:\n${r.stderr.slice(-3000)}`);
  } finally {
    run.child.kill('SIGKILL');
  }
  assert.ok(!existsSync(socket), 'the socket is removed when the migration ends');
  const left = await tables();
  assert.ok(!left.includes('_sluice_sentinel') && !left.includes('_steer_new') && !left.includes('_steer_chkpnt'), left.join(','));
  assert.equal(await checksum('steer'), await checksum('steer_expected'), 'the same rows as the server\'s own ALTER');
  const [[a]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE steer');
  const [[b]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE steer_expected');
  assert.equal(String(a!['Create Table']), String(b!['Create Table']).replace('steer_expected', 'steer'));
});

test('migrate ctl abort: the run stops as interrupted, the checkpoint is kept and resumes', { timeout: 180_000 }, async () => {
  await makeTable('aborted', 30_000);
  const { config, socket } = await slowCopyDir(500);
  // --max-load 1 holds the copy (the binlog dump thread alone is running) until the operator lifts it
  const run = migrate('aborted', config, ['--control-socket', socket, '--max-load', '1']);
  try {
    await waitForStatus(socket, (x) => x.phase === 'copy' && /maxLoad 1/.test(x.throttled ?? ''), 'the copy held by --max-load 1');
    await ctl(socket, 'max-load=0');
    await waitForStatus(socket, (x) => x.rowsCopied > 0, 'rows copied after max-load=0');
    await ctl(socket, 'pause');
    assert.equal((await ctl(socket, 'abort')).message, 'the migration is being cancelled; its checkpoint is kept');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /aborted through the control endpoint/);
  } finally {
    run.child.kill('SIGKILL');
  }
  assert.ok(!existsSync(socket), 'the socket is removed');
  const left = await tables();
  assert.ok(left.includes('_aborted_new') && left.includes('_aborted_chkpnt'), `shadow and checkpoint kept: ${left.join(',')}`);
  const again = await migrate('aborted', config, ['--control-socket', socket, '--target-chunk-time', '500']).done;
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming: copy after \(\d+\)/);
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM aborted');
  assert.equal(Number(row!.n), 30_000);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`the default control socket is printed at start and gone after ${signal}`, { timeout: 120_000 }, async () => {
    const table = `sig_${signal.toLowerCase()}`;
    await makeTable(table, 30_000);
    const { config } = await slowCopyDir(500);
    const socket = join(tmpdir(), `sluice-${testServer().port}-${DB}.${table}.sock`);
    const run = migrate(table, config, ['--max-load', '1']);
    try {
      await waitForStatus(socket, (x) => x.phase === 'copy', 'the copy running on the default socket');
      assert.equal(statSync(socket).mode & 0o777, 0o600);
      run.child.kill(signal);
      const r = await run.done;
      assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, r.stderr);
      assert.match(r.stderr, new RegExp(`control: listening on socket ${socket.replace(/[.]/g, '\\.')}`));
    } finally {
      run.child.kill('SIGKILL');
    }
    assert.ok(!existsSync(socket), `the socket is removed after ${signal}`);
  });
}

test('a socket left by SIGKILL is replaced; a live one refuses another migration before anything is created', { timeout: 180_000 }, async () => {
  await makeTable('killed', 30_000);
  await makeTable('other', 100);
  const { config, socket } = await slowCopyDir(500);
  const first = migrate('killed', config, ['--control-socket', socket, '--max-load', '1']);
  await waitForStatus(socket, (x) => x.phase === 'copy', 'the copy running');
  first.child.kill('SIGKILL');
  await first.done;
  assert.ok(statSync(socket).isSocket(), 'SIGKILL leaves the socket file behind');
  assert.equal((await ctl(socket, 'status')).exit, 1, 'nobody answers on it');

  const second = migrate('killed', config, ['--control-socket', socket, '--max-load', '1']);
  try {
    await waitForStatus(socket, (x) => x.phase === 'copy', 'the resumed run answering on the same path');
    const refused = await migrate('other', config, ['--control-socket', socket]).done;
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`another process is listening on the control socket ${socket.replace(/[.]/g, '\\.')}`));
    assert.ok(!(await tables()).includes('_other_new'), 'nothing was created for the refused migration');
    assert.ok((await status(socket)) !== undefined, 'the live socket still answers');
    await ctl(socket, 'chunk-time=500ms');
    await ctl(socket, 'max-load=0');
    const r = await second.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /control: replaced the stale control socket/);
  } catch (err) {
    second.child.kill('SIGKILL');
    const r = await second.done;
    throw new Error(`${(err as Error).message}\nthe resumed run's output:\n${r.stderr.slice(-3000)}`);
  } finally {
    second.child.kill('SIGKILL');
  }
  assert.ok(!existsSync(socket));
  await waitFor(async () => !(await tables()).includes('_killed_new'), 'the shadow swapped in');
});
