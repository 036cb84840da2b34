/**
 * Connections that live and statements that end (issue 15, items 3 and 7), through full
 * migrations against the real server. The expectation is the server's own ALTER on a mirror of
 * the same rows (checkpoint-helpers.ts), never Sluice's checksum.
 *
 *  - the server's wait_timeout of 3 s across a deferred cutover held 10 s;
 *  - the binlog connection KILLed mid-copy;
 *  - a server restart mid-copy (a dedicated second sandbox): the copy waits and continues; with a
 *    short reconnect bound it fails with its checkpoint instead, and a rerun resumes;
 *  - a query that never returns (a table lock held elsewhere, lock_wait_timeout of a year) plus
 *    cancel: the run settles within the watchdog's bound.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { BinlogStreamError, CUTOVER_SENTINEL_TABLE, MigrationCancelledError, ServerUnreachableError } from '../../mod.ts';
import { auxPort, startSandbox, stopSandbox, testServer, type SandboxOptions } from '../../scripts/sandbox.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../support/random.ts';
import {
  assertMatchesMirror, createFixture, id, MirroredWorkload, MIRROR, pacer, startRun, tableState, TABLE,
  waitUntil, type Fixture,
} from './checkpoint-helpers.ts';

const fixtures: Fixture[] = [];
after(async () => {
  for (const fx of fixtures) {
    await fx.pool.query(`DROP DATABASE IF EXISTS ${id(fx.db)}`).catch(() => undefined);
    await fx.pool.end().catch(() => undefined);
  }
});

async function fixture(db: string, rows: number, server?: Parameters<typeof createFixture>[3]): Promise<Fixture> {
  const fx = await createFixture(db, 'int', rows, server);
  fixtures.push(fx);
  return fx;
}

/** Dump threads on the server now (the migration's is the one that was not there before). */
async function dumpThreads(fx: Fixture): Promise<number[]> {
  const [rows] = await fx.pool.query<RowDataPacket[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'");
  return rows.map((r) => Number(r.ID));
}

/** The same change to `t` and `mirror`, through any pool connection (retried once if it was dropped). */
async function mirroredUpdate(fx: Fixture, where: string): Promise<void> {
  for (const table of [TABLE, MIRROR]) {
    const sql = `UPDATE ${id(table)} SET v = CONCAT('m-', v), n = n + 3 WHERE ${where}`;
    await fx.pool.query(sql).catch(() => fx.pool.query(sql));
  }
}

test('with the server\'s wait_timeout at 3 s, a deferred cutover held 10 s succeeds and t equals the native ALTER', async () => {
  const fx = await fixture('conn_idle', 3_000);
  const work = new MirroredWorkload(fx, seededRandom(15));
  // the test's own connections open before the global change (they keep the old idle timeout)
  await Promise.all([1, 2, 3, 4].map(() => fx.pool.query('SELECT SLEEP(0.05)')));
  await work.burst(1);
  const admin = await mysql.createConnection(testServer());
  const [[before]] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.wait_timeout AS w') as unknown as [RowDataPacket[]];
  await admin.query('SET GLOBAL wait_timeout = 3');
  try {
    const run = await startRun(fx, { deferCutover: true });
    await waitUntil('the deferred cutover', async () => (await tableState(fx)).sentinel, 60_000);
    await work.burst(100);
    await sleep(10_000); // every idle connection of the migration outlives the server's wait_timeout
    await work.burst(100);
    await fx.pool.query(`DROP TABLE ${id(CUTOVER_SENTINEL_TABLE)}`);
    const outcome = await run.done;
    assert.equal(outcome.error, undefined, `the migration succeeded: ${String(outcome.error)}`);
    assert.equal(outcome.disposeError, undefined);
  } finally {
    await admin.query('SET GLOBAL wait_timeout = ?', [Number(before!.w)]);
    await admin.end();
    await work.close();
  }
  await assertMatchesMirror(fx, 'after an idle deferred cutover');
});

test('the binlog connection KILLed mid-copy is reconnected and t equals the native ALTER', async () => {
  const fx = await fixture('conn_kill', 8_000);
  const work = new MirroredWorkload(fx, seededRandom(16));
  const others = new Set(await dumpThreads(fx));
  let killed: number | undefined;
  const p = pacer({
    sleepMs: 10,
    onChunk: async (count) => {
      if (count !== 6 || killed !== undefined) return;
      const mine = (await dumpThreads(fx)).filter((t) => !others.has(t));
      assert.equal(mine.length, 1, 'the migration has one binlog dump thread');
      killed = mine[0]!;
      await fx.pool.query('KILL CONNECTION ?', [killed]);
    },
  });
  work.start(2);
  try {
    const run = await startRun(fx, { plugins: [p.plugin] });
    const outcome = await run.done;
    await work.stop();
    assert.ok(killed, 'the binlog connection was killed during the copy');
    assert.equal(outcome.error, undefined, `the migration succeeded: ${String(outcome.error)}`);
    assert.ok(run.warnings().some((w) => /binlog stream .* was lost/.test(w)), `a warning says the stream was lost: ${run.warnings().join(' | ')}`);
    assert.ok(run.infos().some((m) => /reconnected/.test(m)), 'and that it reconnected');
  } finally {
    await work.close();
  }
  await assertMatchesMirror(fx, 'after a killed binlog connection');
});

// ---- a server restart, on a dedicated second sandbox ----

const second: SandboxOptions = { port: auxPort('secondServer'), serverId: 20 };
after(async () => { await stopSandbox(second); });

async function restartSecond(downMs = 0): Promise<void> {
  await stopSandbox(second);
  if (downMs > 0) await sleep(downMs);
  await startSandbox(second);
}

test('a server restart mid-copy: the migration waits for the server, continues, and t equals the native ALTER', async () => {
  const server = await startSandbox(second);
  const fx = await fixture('conn_restart', 8_000, server);
  let restarting: Promise<void> | undefined;
  const p = pacer({
    sleepMs: 15,
    onChunk: (count) => {
      if (count === 8) restarting ??= restartSecond(1_000);
    },
  });
  await mirroredUpdate(fx, 'id % 5 = 0');
  const run = await startRun(fx, { plugins: [p.plugin], options: { reconnectTimeout: 120 } });
  await waitUntil('the restart', () => restarting !== undefined, 60_000);
  await restarting;
  await mirroredUpdate(fx, 'id % 7 = 0'); // changes after the restart, while the copy goes on
  await fx.pool.query(`DELETE FROM ${id(TABLE)} WHERE id % 11 = 0`);
  await fx.pool.query(`DELETE FROM ${id(MIRROR)} WHERE id % 11 = 0`);
  const outcome = await run.done;
  assert.equal(outcome.error, undefined, `the migration succeeded: ${String(outcome.error)}`);
  assert.equal(outcome.disposeError, undefined);
  assert.ok(run.warnings().some((w) => /waiting up to 120 s for the server/.test(w)), `it said it waits for the server: ${run.warnings().join(' | ')}`);
  assert.ok(run.infos().some((m) => /the copy continues after/.test(m)), 'the copy continued after its low watermark');
  await assertMatchesMirror(fx, 'after a restart mid-copy');
});

test('a server down longer than reconnectTimeout: the run fails with its checkpoint, and a rerun resumes to the native ALTER', async () => {
  const server = await startSandbox(second);
  const fx = await fixture('conn_down', 8_000, server);
  let stopped: Promise<unknown> | undefined;
  const p = pacer({ sleepMs: 15, onChunk: (count) => { if (count === 8) stopped ??= stopSandbox(second); } });
  const run = await startRun(fx, { plugins: [p.plugin], options: { reconnectTimeout: 2 } });
  const outcome = await run.done;
  await stopped;
  assert.ok(outcome.error, 'the run failed');
  assert.ok(!(outcome.error instanceof MigrationCancelledError), `it failed, it was not cancelled: ${String(outcome.error)}`);
  assert.ok(outcome.error instanceof ServerUnreachableError || outcome.error instanceof BinlogStreamError, `a typed error says the server was lost: ${String(outcome.error)}`);
  assert.match((outcome.error as Error).message, /did not answer for 2 s|within 2 s/, 'it names the bound');
  assert.match((outcome.error as Error).message, /run the migration again/, 'and how to go on');
  assert.equal(outcome.disposeError, undefined, 'dispose settles while the server is down');

  await startSandbox(second);
  const st = await tableState(fx);
  assert.ok(st.checkpoint && st.shadow, 'the checkpoint and the shadow table are kept');
  await mirroredUpdate(fx, 'id % 3 = 0');
  const rerun = await startRun(fx);
  const again = await rerun.done;
  assert.equal(again.error, undefined, `the rerun succeeded: ${String(again.error)}`);
  assert.equal(again.result?.resumed, true, 'the rerun resumed from the checkpoint');
  await assertMatchesMirror(fx, 'after a failed run and its resume');
});

// ---- a query that never returns ----

test('a copy query waiting for a table lock that is never released: after cancel the run settles within the watchdog bound', async () => {
  const fx = await fixture('conn_stuck', 6_000);
  const s = testServer();
  const blocker = await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password: s.password, database: fx.db });
  let locked = false;
  const p = pacer({
    sleepMs: 10,
    onChunk: async (count) => {
      if (count !== 4 || locked) return;
      locked = true;
      await blocker.query(`LOCK TABLES ${id(TABLE)} WRITE`); // granted between chunks; the next chunk waits
    },
  });
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await blocker.query('UNLOCK TABLES').catch(() => undefined);
  };
  try {
    const run = await startRun(fx, { plugins: [p.plugin], options: { lockWaitTimeout: 31_536_000 } });
    await waitUntil('the table lock', () => locked, 60_000);
    await sleep(1_000); // the copy is now waiting for the lock
    const cancelled = Date.now();
    run.migration.cancel('the test cancels a stuck copy');
    // without the watchdog the run would wait for the lock (a year): give up after 90 s
    const fallback = setTimeout(() => { void release(); }, 90_000);
    const outcome = await run.done;
    clearTimeout(fallback);
    const settledMs = Date.now() - cancelled;
    assert.ok(!released, `the run settled while the lock was still held (after ${settledMs} ms)`);
    assert.ok(settledMs < 45_000, `the run settled within the bound (${settledMs} ms)`);
    assert.ok(outcome.error instanceof MigrationCancelledError, `cancelled: ${String(outcome.error)}`);
    assert.equal(outcome.disposeError, undefined);
    assert.ok(run.warnings().some((w) => /has not returned .* after the abort/.test(w)), 'a warning names the stuck query');
  } finally {
    await release();
    await blocker.end();
  }
  const st = await tableState(fx);
  assert.ok(st.checkpoint && st.shadow, 'the checkpoint and the shadow table are kept');
});
