/**
 * The throttler plugin against real servers: a primary (the sandbox) and a real replica of it
 * (test/support/replica.ts). The copier pauses — replay does not — for replica lag, a replica that
 * is down (fail closed), server load, a pause file, the ManualPause handle and custom checks;
 * critical load stops the migration with CriticalLoadError.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql, { type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import {
  createMigration, definePlugin, type Migration, type MigrationResult, type ProgressSnapshot, type SluicePlugin,
} from '../../mod.ts';
import {
  CriticalLoadError, ManualPause, NOT_THROTTLED, queryThrottler, ThrottleCheckFailedError, throttlerPlugin, ThrottlerUnavailableError,
  type Throttler, type ThrottlerPluginOptions,
} from '../../plugins/throttler/index.ts';
import { auxPort, testServer } from '../../scripts/sandbox.ts';
import { appPool, freshDatabase, testConnection } from '../support/db.ts';
import { ReplicaSandbox } from '../support/replica.ts';

const DB = 'throttler_test';
const replica = new ReplicaSandbox({ wildDoTable: 'throttler%.%' });
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const id = mysql.escapeId;
let pool: Pool;
/** Migrations started by a test: disposed after it even when an assertion failed. */
const live: Migration[] = [];

before(async () => {
  await replica.start();
  pool = await freshDatabase(DB); // after start(): the replica sees the database being created
  await replica.waitCaughtUp();
});

afterEach(async () => {
  for (const m of live.splice(0)) await m[Symbol.asyncDispose]().catch(() => undefined);
});

after(async () => {
  await pool.query(`DROP DATABASE IF EXISTS ${id(DB)}`);
  await pool.end();
  await replica.stop();
});

/** `name` (id, v) with ids 10, 20, … so that rows can be added between them. */
async function table(name: string, rows: number): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${id(name)}, ${id(`_${name}_new`)}, ${id(`_${name}_old`)}`);
  await pool.query(`CREATE TABLE ${id(name)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(40) NOT NULL)`);
  await pool.query(`INSERT INTO ${id(name)} (id, v) SELECT seq * 10, CONCAT('row ', seq) FROM seq_1_to_${rows}`);
}

interface Running {
  m: Migration;
  run: Promise<MigrationResult>;
  last(): ProgressSnapshot | undefined;
  logs: string[];
}

async function start(name: string, opts: ThrottlerPluginOptions, extra: SluicePlugin[] = [], threads = 2): Promise<Running> {
  const m = await createMigration({
    connection: testConnection(DB),
    statement: `ALTER TABLE ${name} ADD COLUMN extra INT NOT NULL DEFAULT 7`,
    tryNative: false, targetChunkMs: 5, progressIntervalMs: 50, keepOldTable: true, threads,
    plugins: [throttlerPlugin({ interval: 100, ...opts }), ...extra],
  });
  live.push(m);
  let last: ProgressSnapshot | undefined;
  const logs: string[] = [];
  m.on((e) => {
    if (e.type === 'progress') last = e.snapshot;
    if (e.type === 'log') logs.push(e.message);
  });
  const run = m.run();
  run.catch(() => undefined); // observed by the test
  return { m, run, last: () => last, logs };
}

async function until(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, state?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}${state ? ` (last: ${JSON.stringify(state())})` : ''}`);
    await wait(25);
  }
}

const throttledWith = (r: Running, text: string) => () => r.last()?.throttled?.includes(text) ?? false;

/** After cutover: the new table holds exactly the original's rows (read independently from the kept old table). */
async function assertCopied(name: string, result: MigrationResult): Promise<void> {
  assert.equal(result.mode, 'copy');
  const old = result.cutover?.oldTable;
  assert.ok(old, 'the old table was kept');
  const [source] = await pool.query<RowDataPacket[]>(`SELECT id, v FROM ${id(old)} ORDER BY id`);
  const [copied] = await pool.query<RowDataPacket[]>(`SELECT id, v FROM ${id(name)} ORDER BY id`);
  assert.equal(copied.length, source.length);
  assert.deepEqual(copied, source);
  const [[extra]] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${id(name)} WHERE extra <> 7`);
  assert.equal(Number(extra!.n), 0);
}

async function threadsRunning(): Promise<number> {
  const [[row]] = await pool.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Threads_running'");
  return Number(row!.Value);
}

/** `n` connections each running SELECT SLEEP(60): load that shows in Threads_running. */
async function sleepers(n: number): Promise<{ stop(): Promise<void> }> {
  const load = appPool(undefined, n + 1);
  const conns: PoolConnection[] = [];
  const queries: Promise<unknown>[] = [];
  const before = await threadsRunning();
  for (let i = 0; i < n; i++) {
    const c = await load.getConnection();
    conns.push(c);
    queries.push(c.query('SELECT SLEEP(60)').catch(() => undefined));
  }
  await until(async () => (await threadsRunning()) >= before + n, `${n} sleeping queries running`);
  return {
    async stop() {
      for (const c of conns) await load.query('KILL QUERY ?', [c.threadId]);
      await Promise.all(queries);
      for (const c of conns) c.release();
      await load.end();
    },
  };
}

test('replica lag: the copy pauses while the SQL thread is stopped, replay keeps applying, then it completes', async () => {
  await table('lagging', 20_000);
  let stopped = false;
  const stopper = definePlugin({
    name: 'stop-sql-thread',
    afterChunk: async () => {
      if (stopped) return;
      stopped = true;
      await replica.stopSqlThread();
      await wait(150); // longer than the interval: the next chunk sees a fresh check
    },
  });
  const r = await start('lagging', { replicas: [replica.dsn] }, [stopper], 1);
  try {
    await until(throttledWith(r, 'is not replicating'), 'the copy paused for the stopped SQL thread');
    assert.match(r.last()!.throttled!, new RegExp(`^replica ${replica.label.replace(/\./g, '\\.')} is not replicating: IO thread Yes, SQL thread No`));
    await wait(200);
    const paused = r.last()!;
    assert.ok(paused.rowsCopied > 0 && paused.rowsCopied < 20_000, `paused mid-copy (${paused.rowsCopied} rows)`);
    assert.ok(Array.isArray(paused.lowWatermark));
    const low = Number((paused.lowWatermark as readonly unknown[])[0]);
    assert.ok(low >= 30, `low watermark ${low}`);

    // Changes to rows already copied can only reach the shadow table through replay.
    await pool.query("INSERT INTO lagging (id, v) VALUES (5, 'inserted while paused'), (15, 'inserted while paused')");
    await pool.query("UPDATE lagging SET v = 'updated while paused' WHERE id = 10");
    await until(async () => {
      const [rows] = await pool.query<RowDataPacket[]>('SELECT id, v FROM _lagging_new WHERE id IN (5, 10, 15) ORDER BY id');
      return rows.length === 3 && rows[0]!.v === 'inserted while paused' && rows[1]!.v === 'updated while paused' && rows[2]!.v === 'inserted while paused';
    }, 'the rows changed during the pause reached the shadow table', 10_000);
    assert.equal(r.last()!.rowsCopied, paused.rowsCopied, 'the copier did not move while replay did');
    assert.ok(r.last()!.throttled, 'still paused');
  } finally {
    if ((await replica.status()).Slave_SQL_Running !== 'Yes') await replica.startSqlThread();
  }
  const result = await r.run;
  assert.ok(r.logs.some((l) => l.includes('pausing the copy')), r.logs.join(' | '));
  assert.ok(r.logs.some((l) => l.includes('resuming the copy')), r.logs.join(' | '));
  assert.equal(r.last()!.throttled, undefined, 'no longer throttled');
  await assertCopied('lagging', result);
  const [[row]] = await pool.query<RowDataPacket[]>('SELECT v FROM lagging WHERE id = 10');
  assert.equal(row!.v, 'updated while paused');
  await r.m[Symbol.asyncDispose]();
});

test('server load: Threads_running above maxLoad pauses the copy until it drops', async () => {
  await table('load', 5000);
  const base = await threadsRunning();
  const load = await sleepers(10);
  try {
    const r = await start('load', { maxLoad: base + 5 });
    await until(throttledWith(r, 'server load: Threads_running='), 'paused for load');
    assert.match(r.last()!.throttled!, new RegExp(`Threads_running=\\d+ > maxLoad ${base + 5}`));
    await wait(400);
    assert.equal(r.last()!.rowsCopied, 0, 'paused before the first chunk');
    await load.stop();
    const result = await r.run;
    await assertCopied('load', result);
    await r.m[Symbol.asyncDispose]();
  } finally {
    await load.stop().catch(() => undefined);
  }
});

test('critical load stops the migration with CriticalLoadError: an error (state kept), not a cancellation', async () => {
  await table('crit', 5000);
  const base = await threadsRunning();
  const load = await sleepers(10);
  try {
    const seen: { error?: unknown; cancelled: boolean } = { cancelled: false };
    const watcher = definePlugin({ name: 'watcher', onError: (_c, e) => { seen.error = e; }, onCancel: () => { seen.cancelled = true; } });
    const r = await start('crit', { maxLoad: base + 3, criticalLoad: base + 5 }, [watcher]);
    const err = await r.run.then(() => assert.fail('must not complete'), (e: unknown) => e);
    assert.ok(err instanceof CriticalLoadError, `expected CriticalLoadError, got ${String(err)}`);
    assert.equal(err.code, 'CRITICAL_LOAD');
    assert.equal(err.criticalLoad, base + 5);
    assert.ok(err.threadsRunning > base + 5);
    assert.ok(!err.message.includes('\n'));
    assert.equal(seen.error, err, 'onError saw it');
    assert.equal(seen.cancelled, false, 'not a cancellation');
    await r.m[Symbol.asyncDispose]();
    const [tables] = await pool.query<RowDataPacket[]>("SHOW TABLES LIKE '\\_crit\\_new'");
    assert.equal(tables.length, 1, 'the shadow table is kept for a resume');
  } finally {
    await load.stop();
  }
});

test('pause file: the copy waits while the file exists', async () => {
  await table('pfile', 5000);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-throttler-'));
  const file = join(dir, 'pause');
  try {
    await writeFile(file, '');
    const r = await start('pfile', { pauseFile: file });
    await until(throttledWith(r, `pause file ${file} exists`), 'paused for the file');
    await wait(400);
    assert.equal(r.last()!.rowsCopied, 0);
    await rm(file);
    await assertCopied('pfile', await r.run);
    await r.m[Symbol.asyncDispose]();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ManualPause: the handle a plugin resolves pauses and resumes the copy', async () => {
  await table('manual', 5000);
  let handle: ManualPause | undefined;
  const operator = definePlugin({
    name: 'operator',
    beforeCopy: (ctx) => {
      handle = ctx.resolve(ManualPause);
      handle.pause('maintenance window');
    },
  });
  const r = await start('manual', {}, [operator]);
  await until(throttledWith(r, 'paused by the operator: maintenance window'), 'paused by the handle');
  assert.equal(handle!.paused, true);
  await wait(400);
  assert.equal(r.last()!.rowsCopied, 0);
  handle!.resume();
  assert.equal(handle!.paused, false);
  await assertCopied('manual', await r.run);
  await r.m[Symbol.asyncDispose]();
});

test('custom throttlers: throttleQuery, a queryThrottler on its own connection, and any Throttler object', async () => {
  await table('custom', 5000);
  await pool.query('DROP TABLE IF EXISTS freeze');
  await pool.query('CREATE TABLE freeze (id INT PRIMARY KEY, active TINYINT NOT NULL)');
  await pool.query('INSERT INTO freeze VALUES (1, 1)');
  await replica.waitCaughtUp();
  const calls = { open: 0, check: 0, dispose: 0, ctxHasSignal: false };
  const mine: Throttler = {
    name: 'mine',
    open: (ctx) => { calls.open++; calls.ctxHasSignal = ctx.signal instanceof AbortSignal; },
    check: async () => { calls.check++; return NOT_THROTTLED; },
    dispose: () => { calls.dispose++; },
  };
  const freezeQuery = `SELECT COUNT(*) FROM ${id(DB)}.freeze WHERE active = 1`;
  const onReplica = queryThrottler({ query: freezeQuery, connection: replica.dsn, name: 'replica-freeze' });
  const r = await start('custom', { throttleQuery: freezeQuery, throttlers: [mine, onReplica] });
  await until(() => ['throttleQuery throttler: its query returned 1', 'replica-freeze throttler: its query returned 1']
    .every((t) => r.last()?.throttled?.includes(t)), 'paused by both queries');
  await wait(300);
  assert.equal(r.last()!.rowsCopied, 0);
  await pool.query('UPDATE freeze SET active = 0');
  const result = await r.run;
  await assertCopied('custom', result);
  assert.equal(calls.open, 1);
  assert.equal(calls.ctxHasSignal, true);
  assert.ok(calls.check > 1, `checked ${calls.check} times`);
  assert.equal(calls.dispose, 0, 'not disposed before the migration is');
  await r.m[Symbol.asyncDispose]();
  assert.equal(calls.dispose, 1, 'disposed with the migration');
});

test('fail closed: a replica that goes down pauses the copy ("unreachable") after lagReadTimeout, warned once; it resumes when it is back', async () => {
  await table('down', 20_000);
  let first = true;
  // One worker; the replica goes down after the first chunk, which outlasts lagReadTimeout, so the next check finds it unreadable too long.
  const slow = definePlugin({ name: 'slow-first-chunk', afterChunk: async () => { if (first) { first = false; await replica.stop(); await wait(800); } } });
  const r = await start('down', { replicas: [replica.dsn], lagReadTimeout: 500 }, [slow], 1);
  await until(throttledWith(r, 'unreachable'), 'paused: replica unreachable');
  assert.match(r.last()!.throttled!, new RegExp(`^replica ${replica.label.replace(/\./g, '\\.')} unreachable for \\d+\\.\\d s \\(`));
  await wait(200);
  const paused = r.last()!.rowsCopied;
  assert.ok(paused > 0 && paused < 20_000, `copied until the timeout, then paused (${paused} rows)`);
  await wait(400);
  assert.equal(r.last()!.rowsCopied, paused, 'still paused');
  await replica.startServer();
  await assertCopied('down', await r.run);
  assert.ok(r.logs.some((l) => l.includes('resuming the copy')));
  const warnings = r.logs.filter((l) => l.includes('a throttle check fails'));
  assert.equal(warnings.length, 1, r.logs.join(' | '));
  assert.match(warnings[0]!, new RegExp(`replica ${replica.label.replace(/\./g, '\\.')} unreadable \\(.*the migration stops \\(keeping its checkpoint\\) if checks fail for 5m0s`));
  assert.ok(r.logs.some((l) => /checks work again after \d+\.\d s failing/.test(l)), r.logs.join(' | '));
  await r.m[Symbol.asyncDispose]();
});

/** No trace of a migration of `name` on the server: refused before anything was created. */
async function assertUntouched(name: string): Promise<void> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?', [DB, `\\_${name}\\_%`]);
  assert.deepEqual(rows.map((r) => r.t), []);
  const [cols] = await pool.query<RowDataPacket[]>(`SHOW COLUMNS FROM ${id(name)} LIKE 'extra'`);
  assert.equal(cols.length, 0);
}

test('refused before anything is created: a replica where nothing listens, a server that is not a replica, a throttle query that fails', async () => {
  await table('unchecked', 2000);
  const nowhere = `mysql://repl:Unseen-Pw-1@127.0.0.1:${auxPort('nothing')}`;
  const primary = testServer();
  const notReplica = `mysql://${primary.user}:${encodeURIComponent(primary.password)}@${primary.host}:${primary.port}`;
  const cases: Array<[ThrottlerPluginOptions, RegExp]> = [
    [{ replicas: [nowhere] }, new RegExp(`replica repl@127\\.0\\.0\\.1:${auxPort('nothing')} unreadable \\(.*ECONNREFUSED`)],
    [{ replicas: [notReplica] }, /reports no replication status/],
    [{ throttleQuery: `SELECT COUNT(*) FROM ${id(DB)}.no_such_table` }, /throttleQuery check failed \(.*no_such_table/],
  ];
  for (const [opts, reason] of cases) {
    const r = await start('unchecked', opts);
    const err = await r.run.then(() => assert.fail('must be refused'), (e: unknown) => e);
    assert.ok(err instanceof ThrottlerUnavailableError, `expected ThrottlerUnavailableError, got ${String(err)}`);
    assert.equal(err.code, 'THROTTLER_UNAVAILABLE');
    assert.match(err.message, reason);
    assert.match(err.message, /nothing was changed/);
    assert.ok(!err.message.includes('\n') && !err.message.includes('Unseen-Pw-1') && !err.message.includes(primary.password), err.message);
    await r.m[Symbol.asyncDispose]();
    await assertUntouched('unchecked');
  }
});

test('a throttle check that fails during the run: warned once, the copy waits, then after failAfter the migration stops with ThrottleCheckFailedError, keeping its checkpoint', async () => {
  await table('failing', 20_000);
  await pool.query('DROP TABLE IF EXISTS gate_tbl');
  await pool.query('CREATE TABLE gate_tbl (id INT PRIMARY KEY)');
  let dropped = false;
  const breaker = definePlugin({ name: 'drop-gate-table', afterChunk: async () => { if (!dropped) { dropped = true; await pool.query('DROP TABLE gate_tbl'); } } });
  const seen: { error?: unknown; cancelled: boolean } = { cancelled: false };
  const watcher = definePlugin({ name: 'watcher', onError: (_c, e) => { seen.error = e; }, onCancel: () => { seen.cancelled = true; } });
  const r = await start('failing', { throttleQuery: `SELECT COUNT(*) FROM ${id(DB)}.gate_tbl`, failAfter: '1500ms' }, [breaker, watcher], 1);
  const err = await Promise.race([
    r.run.then(() => assert.fail('must not complete'), (e: unknown) => e),
    wait(30_000).then(() => assert.fail('still paused after 30 s: a failing check must stop the migration after failAfter')),
  ]);
  assert.ok(err instanceof ThrottleCheckFailedError, `expected ThrottleCheckFailedError, got ${String(err)}`);
  assert.equal(err.code, 'THROTTLE_CHECK_FAILED');
  assert.ok(err.failingMs >= 1500);
  assert.match(err.message, /throttleQuery check failed \(.*gate_tbl.*doesn't exist\)/);
  assert.ok(!err.message.includes('\n'));
  assert.equal(seen.error, err, 'an error (onError), not a cancellation');
  assert.equal(seen.cancelled, false);
  const copied = r.last()!.rowsCopied;
  assert.ok(copied > 0 && copied < 20_000, `stopped mid-copy (${copied} rows)`);
  const warnings = r.logs.filter((l) => l.includes('a throttle check fails'));
  assert.equal(warnings.length, 1, `warned once: ${r.logs.join(' | ')}`);
  assert.match(warnings[0]!, /gate_tbl.*stops \(keeping its checkpoint\) if checks fail for 1.5s/);
  await r.m[Symbol.asyncDispose]();
  const [kept] = await pool.query<RowDataPacket[]>("SHOW TABLES LIKE '\\_failing\\_%'");
  assert.deepEqual(kept.map((row) => Object.values(row)[0]).sort(), ['_failing_chkpnt', '_failing_new'], 'shadow and checkpoint kept for a resume');
});
