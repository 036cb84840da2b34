/**
 * Blockers of Sluice's table locks, against the real server, each through a real migration:
 * an idle transaction in front of the checksum lock and in front of the cutover lock is killed
 * (and logged) and the migration completes while an application writer never stalls long; with
 * killing off, bounded retries end in a typed error that keeps the checkpoint and the session; a
 * transaction on Sluice's own pool is waited for, never killed. Run
 * once with the exact view (MariaDB's metadata_lock_info plugin, installed for the tests and
 * uninstalled after) and once without it (open transactions as suspects). Last, a stalled binlog
 * stream never keeps the checksum's lock beyond its bound.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Connection, type Pool, type RowDataPacket } from 'mysql2/promise';
import {
  checkpointTableName, ChecksumCatchUpError, createMigration, CutoverFailedError, definePlugin, LockBlockedError, Tokens,
  type MigrationResult, type SluicePlugin,
} from '../../mod.ts';
import { createTableLocks, OwnSessions, resolveLockPolicy } from '../../core/blockers/index.ts';
import { openPool } from '../../core/connection/connection.ts';
import { currentBinlogPosition } from '../../core/connection/connection.ts';
import { BinlogReplayer } from '../../core/replay/replayer.ts';
import { replayControl } from '../../core/runner/controls.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import { SnapshotSet } from '../../plugins/checksum/snapshots.ts';
import { appPool, fileDatabases, testConnection } from '../support/db.ts';
import { metadataLockView, setMetadataLockView } from '../support/mdl-view.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { startWriteProbe } from '../support/write-probe.ts';

const { database, own } = fileDatabases();
const admin = own(appPool(undefined, 2));
const STATEMENT = 'ALTER TABLE t MODIFY v VARCHAR(64) NOT NULL';

interface Outcome {
  logs: string[];
  result?: MigrationResult;
  error?: unknown;
}

async function seed(db: string): Promise<Pool> {
  const pool = await database(db);
  await pool.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_2000");
  return pool;
}

async function migrate(db: string, plugins: SluicePlugin[], extra: Record<string, unknown>): Promise<Outcome> {
  const out: Outcome = { logs: [] };
  const m = await createMigration({ connection: testConnection(db), statement: STATEMENT, plugins, tryNative: false, ...extra });
  m.on((e) => { if (e.type === 'log') out.logs.push(`${e.level}: ${e.message}`); });
  try {
    out.result = await m.run();
  } catch (err) {
    out.error = err;
  } finally {
    await m[Symbol.asyncDispose]();
  }
  return out;
}

/** An application session that opens a transaction on t in `hook` and then sits idle in it. */
function idleTransaction(db: string, hook: 'afterCopy' | 'beforeCutover', sql: string) {
  const state: { conn?: Connection; id?: number } = {};
  const plugin = definePlugin({
    name: `idle-transaction-${hook}`,
    async [hook]() {
      const conn = await mysql.createConnection(testConnection(db));
      conn.on('error', () => {}); // it may be killed while idle
      state.conn = conn;
      state.id = conn.threadId;
      await conn.query('START TRANSACTION');
      await conn.query(sql);
    },
  });
  const alive = async () => state.conn!.query('SELECT 1').then(() => true, () => false);
  const close = async () => { await state.conn?.end().catch(() => state.conn?.destroy()); };
  return { plugin, state, alive, close };
}

const VIEWS = [
  { name: 'without a metadata lock view (open transactions are the suspects)', exact: false },
  { name: 'with MariaDB\'s METADATA_LOCK_INFO', exact: true },
];

for (const view of VIEWS) {
  describe(`blockers ${view.name}`, async () => {
    const initial = await metadataLockView(admin);
    const skip = view.exact && initial === undefined ? 'the server has no metadata_lock_info plugin' : false;
    before(async () => { if (!skip) await setMetadataLockView(admin, view.exact); });
    after(async () => { if (initial !== undefined) await setMetadataLockView(admin, initial === 'ACTIVE'); });
    const tag = view.exact ? 'x' : 'f';

    test('an idle transaction that wrote t before the checksum lock is killed and logged; the migration succeeds; the writer never stalls long', { skip }, async () => {
      const db = `blockers_checksum_${tag}`;
      const pool = await seed(db);
      const blocker = idleTransaction(db, 'afterCopy', 'UPDATE t SET v = v WHERE id = 1');
      const probe = startWriteProbe(pool, db, 't', 100_000);
      try {
        const out = await migrate(db, [blocker.plugin], { lockWaitTimeout: 6, killBlockersAfter: 1 });
        const { longestMs, ids, errors } = await probe.stop();
        console.log(`# ${view.name}: the writer's longest stall ${Math.round(longestMs)} ms`);
        assert.equal(out.error, undefined, String(out.error));
        const killed = out.logs.filter((l) => l.startsWith(`warn: killed session ${blocker.state.id} (`));
        assert.equal(killed.length, 1, out.logs.join('\n'));
        assert.match(killed[0]!, /\(sluice@127\.0\.0\.1:\d+, (holding the lock|[\d.]+ s in a transaction)[^)]*idle\): it kept `blockers_checksum_.`\.`t` from being locked for the checksum snapshots/);
        assert.equal(await blocker.alive(), false, 'the blocker session still lives');
        assert.deepEqual(errors, []);
        assert.ok(longestMs < 5000, `the writer stalled ${longestMs} ms`);
        // The lock request is never queued behind the idle session at all (without a view: NOWAIT probes found it).
        assert.deepEqual(out.logs.filter((l) => /LOCK TABLES waited .* withdrawn/.test(l)), []);
        // Every row the writer wrote is in the migrated table.
        const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM t WHERE id >= 100000');
        assert.equal(Number(rows[0]!.n), ids.length);
        assert.ok(out.logs.some((l) => / match: /.test(l)), 'the checksum ran');
      } finally {
        await probe.stop();
        await blocker.close();
      }
    });

    test('an idle transaction that read t before the cutover lock is killed and logged; the migration succeeds; the writer never stalls long', { skip }, async () => {
      const db = `blockers_cutover_${tag}`;
      const pool = await seed(db);
      const blocker = idleTransaction(db, 'beforeCutover', 'SELECT * FROM t WHERE id = 1');
      const probe = startWriteProbe(pool, db, 't', 100_000);
      try {
        const out = await migrate(db, [blocker.plugin], { lockWaitTimeout: 6, killBlockersAfter: 1 });
        const { longestMs, errors } = await probe.stop();
        console.log(`# ${view.name}: the writer's longest stall ${Math.round(longestMs)} ms`);
        assert.equal(out.error, undefined, String(out.error));
        const killed = out.logs.filter((l) => l.startsWith(`warn: killed session ${blocker.state.id} (`));
        assert.equal(killed.length, 1, out.logs.join('\n'));
        assert.match(killed[0]!, /idle\): it kept .* from being locked for the cutover/);
        assert.equal(await blocker.alive(), false);
        assert.deepEqual(errors, []);
        assert.ok(longestMs < 5000, `the writer stalled ${longestMs} ms`);
        // The lock request is never queued behind the idle session at all (without a view: NOWAIT probes found it).
        assert.deepEqual(out.logs.filter((l) => /LOCK TABLES waited .* withdrawn/.test(l)), []);
        const [cols] = await pool.query<RowDataPacket[]>("SELECT CHARACTER_MAXIMUM_LENGTH AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'v'");
        assert.equal(Number(cols[0]!.n), 64, 'the table was migrated');
      } finally {
        await probe.stop();
        await blocker.close();
      }
    });

    test('a transaction on Sluice\'s own pool is never killed: the cutover waits for it', { skip }, async () => {
      const db = `blockers_own_${tag}`;
      await seed(db);
      let ownId = 0;
      let listed = false;
      let finished: Promise<void> | undefined;
      const plugin = definePlugin({
        name: 'own-transaction',
        async beforeCutover(ctx) {
          const conn = await ctx.resolve(Tokens.Pool).getConnection();
          ownId = conn.threadId;
          listed = ctx.resolve(Tokens.Locks).ownSessionIds().includes(ownId);
          await conn.query('START TRANSACTION');
          await conn.query('SELECT * FROM t WHERE id = 1');
          finished = new Promise<void>((resolve) => setTimeout(() => {
            void conn.query('COMMIT').finally(() => { conn.release(); resolve(); });
          }, 2500));
        },
      });
      const out = await migrate(db, [plugin], { lockWaitTimeout: 8, killBlockersAfter: 0.5 });
      await finished;
      assert.equal(out.error, undefined, String(out.error));
      assert.ok(listed, `pool connection ${ownId} is not among Sluice's own sessions`);
      assert.deepEqual(out.logs.filter((l) => l.startsWith('warn: killed session')), []);
    });

    test('with killBlockers false: bounded retries, then CutoverFailedError naming the session; the checkpoint and the session are kept', { skip }, async () => {
      const db = `blockers_nokill_${tag}`;
      const pool = await seed(db);
      const blocker = idleTransaction(db, 'beforeCutover', 'SELECT * FROM t WHERE id = 1');
      try {
        const started = Date.now();
        const out = await migrate(db, [blocker.plugin], { lockWaitTimeout: 2, killBlockers: false, cutoverAttempts: 2 });
        const elapsed = Date.now() - started;
        assert.ok(out.error instanceof CutoverFailedError, String(out.error));
        assert.match(out.error.message, new RegExp(`gave up after 2 attempts .*could not lock .* within 2 s: held by session ${blocker.state.id} \\(sluice@`));
        assert.match(out.error.message, /drop --no-kill-blockers/);
        assert.ok(!out.error.message.includes('\n'));
        assert.equal(out.logs.some((l) => l.startsWith('warn: killed session')), false);
        assert.equal(await blocker.alive(), true, 'the session was killed although killBlockers is false');
        const [tables] = await pool.query<RowDataPacket[]>('SHOW TABLES');
        const names = tables.map((r) => String(Object.values(r)[0]));
        assert.ok(names.includes(checkpointTableName('t')) && names.includes('_t_new'), `the checkpoint and shadow are kept: ${names.join(', ')}`);
        console.log(`# ${view.name}: gave up after ${elapsed} ms`);
      } finally {
        await blocker.close();
      }
    });
  });
}

test('a stalled binlog stream never keeps the checksum lock beyond its bound: unlock, retry, then ChecksumCatchUpError', { timeout: 60_000 }, async () => {
  const db = 'blockers_stall';
  const pool = await seed(db);
  await pool.query('CREATE TABLE _t_new LIKE t');
  await pool.query('INSERT INTO _t_new SELECT * FROM t');
  const server = testConnection(db);
  const proxy = await startTcpProxy(server.host!, server.port!);
  const sluice = openPool(server, undefined, 4);
  const source = await inspectTable(pool, db, 't');
  const names = source.columns.map((c) => c.name);
  const replayer = await BinlogReplayer.start({
    connection: { ...server, host: '127.0.0.1', port: proxy.port }, pool: sluice, source, shadow: '_t_new',
    mapping: { source: names, target: names }, start: await currentBinlogPosition(pool),
  });
  const ac = new AbortController();
  const real = replayControl(replayer, ac.signal);
  const closers: Array<() => Promise<void>> = [];
  let stalledOnce = false;
  const snapshots = await SnapshotSet.open({
    connection: server,
    session: { lockWaitTimeout: 2, innodbLockWaitTimeout: 3 },
    schema: db, source: 't', shadow: '_t_new', count: 1, signal: ac.signal,
    onOpen: async (_name, close) => { closers.push(close); },
    locks: createTableLocks(resolveLockPolicy({ lockWaitTimeout: 2, lockStallTimeout: 1 }), new OwnSessions(), { info() {}, warn() {}, debug() {} }),
    log: { debug() {} },
    replay: {
      // The stream goes silent right after the first catch-up: the next changes never arrive.
      async catchUp(conn, o) {
        await real.catchUp(conn, o);
        if (!stalledOnce) {
          stalledOnce = true;
          proxy.stallBinlog();
          await pool.query("UPDATE t SET v = 'after the stall' WHERE id = 2");
        }
      },
      syncUnderLock: (conn, o) => real.syncUnderLock(conn, o),
    },
  });
  const probe = startWriteProbe(pool, db, 't', 100_000);
  try {
    const started = Date.now();
    await assert.rejects(snapshots.take(), (e: unknown) => e instanceof ChecksumCatchUpError && e.cause instanceof Error && /within \d/.test(e.message));
    const { longestMs, errors } = await probe.stop();
    console.log(`# stalled stream: gave up after ${Date.now() - started} ms; the writer's longest stall ${Math.round(longestMs)} ms (lock bound 1 s)`);
    assert.deepEqual(errors, []);
    assert.ok(longestMs < 5000, `the writer stalled ${longestMs} ms: the lock was held past its bound`);
    // Nothing is left locked.
    await pool.query('SET SESSION lock_wait_timeout = 1');
    await pool.query("UPDATE t SET v = 'free' WHERE id = 3");
  } finally {
    await probe.stop();
    await snapshots.close();
    await Promise.all(closers.map((c) => c()));
    ac.abort();
    proxy.resume();
    await replayer.stop();
    await sluice.end();
    await proxy.close();
  }
});

test('LockBlockedError is one line and names the fix', () => {
  const err = new LockBlockedError('s', ['t'], 2000, [], false);
  assert.match(err.message, /^could not lock `s`\.`t` within 2 s: .*drop --no-kill-blockers.*run again to resume$/);
});
