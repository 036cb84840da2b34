/**
 * migration.control, the API behind the control endpoint: pause/resume, threads, chunk-time,
 * max-load and cutover change a running migration in process, refused values change nothing, and
 * the TCP endpoint (controlPort) answers the same commands. The result is checked against the
 * server's own ALTER of a copy of the rows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ControlCommandError, ControlValueError, createMigration, definePlugin, type ControlStatus, type Migration } from '../../mod.ts';
import { freshDatabase, testConnection } from '../support/db.ts';

const DB = 'control_api';
let pool: Pool;
before(async () => { pool = await freshDatabase(DB); });
after(async () => { await pool.query(`DROP DATABASE IF EXISTS ${DB}`); await pool.end(); });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(m: Migration, ok: (s: ControlStatus) => boolean, what: string, timeoutMs = 60_000): Promise<ControlStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = m.control.status();
    if (ok(s)) return s;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

/** One command line over TCP: the JSON answer. */
function tcp(port: number, line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (d: string) => { buf += d; if (buf.includes('\n')) { socket.end(); resolve(JSON.parse(buf.split('\n')[0]!)); } });
    socket.on('error', reject);
  });
}

test('migration.control steers a running copy, and the TCP endpoint answers the same', { timeout: 180_000 }, async () => {
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_20000");
  await pool.query('CREATE TABLE t_expected LIKE t');
  await pool.query('INSERT INTO t_expected SELECT * FROM t');
  await pool.query('ALTER TABLE t_expected ADD COLUMN note INT NULL');
  const slow = definePlugin({ name: 'slow', beforeChunk: () => sleep(100) });
  await using m = await createMigration({
    connection: testConnection(DB), statement: 'ALTER TABLE t ADD COLUMN note INT NULL', tryNative: false,
    targetChunkMs: 1, deferCutover: true, controlPort: 0, plugins: [slow],
    throttle: { maxLoad: 1 }, // held until max-load is lifted: the binlog dump thread alone is running
  });
  const run = m.run();
  let s = await until(m, (x) => x.phase === 'copy' && /maxLoad 1/.test(x.throttled ?? ''), 'the copy held by maxLoad 1');
  const port = s.endpoints.port!;
  assert.ok(port > 0, 'controlPort 0 picks a free port, shown in status');
  assert.deepEqual(await tcp(port, '?max-load'), { ok: true, command: '?max-load', message: 'max-load=1', value: 1 });
  assert.equal(m.control.setMaxLoad(0), 'max-load: 1 -> 0 (off)');
  s = await until(m, (x) => x.rowsCopied > 0, 'rows copied once max-load is lifted');

  assert.equal(m.control.setThreads(1), 'threads: 2 -> 1');
  await until(m, (x) => x.copyWorkers === 1, 'one worker');
  assert.equal(m.control.get('threads'), 1);
  assert.equal(m.control.setChunkTime('40ms'), 'chunk-time: 1ms -> 40ms');
  assert.equal((await tcp(port, 'status')).ok, true);

  m.control.pause('a backup');
  await until(m, (x) => x.throttled === 'paused by the operator: a backup', 'paused');
  await sleep(1000);
  const held = m.control.status().rowsCopied;
  await sleep(1500);
  assert.equal(m.control.status().rowsCopied, held, 'no rows copied while paused');
  m.control.resume();
  await until(m, (x) => x.rowsCopied > held, 'copying again after resume');

  assert.throws(() => m.control.setThreads(0), ControlValueError);
  assert.throws(() => m.control.setMaxReplicaLag('soon'), ControlValueError);
  assert.throws(() => m.control.execute('explode'), ControlCommandError);
  assert.equal(m.control.get('threads'), 1, 'a refused value changes nothing');
  const refused = await tcp(port, 'threads=x');
  assert.deepEqual([refused.ok, refused.error, refused.code], [false, 'ControlValueError', 'CONTROL_VALUE']);

  m.control.setChunkTime('500ms');
  m.control.setThreads(4);
  await until(m, (x) => x.cutover === 'waiting', 'the deferred cutover waiting', 120_000);
  assert.equal(m.control.cutover(), 'cutover released: the migration cuts over now');
  const result = await run;
  assert.equal(result.rowsCopied, 20_000);
  const [[a]] = await pool.query<RowDataPacket[]>('CHECKSUM TABLE t');
  const [[b]] = await pool.query<RowDataPacket[]>('CHECKSUM TABLE t_expected');
  assert.equal(String(a!.Checksum), String(b!.Checksum), 'the same rows as the server\'s own ALTER');
  const [rows] = await pool.query<RowDataPacket[]>("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_%'", [DB]);
  assert.deepEqual(rows, [], 'no sentinel, shadow or checkpoint left');
});
