/**
 * Deferred secondary indexes (core/shadow/README.md): with `deferIndexes` the shadow is copied with
 * only its PRIMARY KEY and UNIQUE indexes, the plain ones are built after the copy in one online
 * ALTER while the workload keeps writing (replay applies during the build); the result is the
 * server's own ALTER on the same rows, both ways. A build the server refuses is a typed refusal
 * before cutover with the original untouched; a run interrupted between the copy and the build
 * builds them on resume.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { definePlugin, IndexBuildError, MigrationCancelledError, type PluginContext } from '../../mod.ts';
import { appPool } from '../support/db.ts';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { intIn, orNull, type Rng } from '../support/workload.ts';
import {
  assertMatchesMirror, createFixture, id, MirroredWorkload, runToEnd, startRun, tableState, SHADOW, type Fixture,
} from './checkpoint-helpers.ts';
import { seededRandom } from '../support/random.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

async function shadowIndexes(ctx: PluginContext | undefined, db: string): Promise<string[]> {
  void ctx;
  const pool = appPool(db, 1);
  try {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT DISTINCT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, SHADOW]);
    return rows.map((r) => String(r.n)).sort();
  } finally {
    await pool.end();
  }
}

const word = (rng: Rng) => Array.from({ length: 1 + Math.floor(rng() * 12) }, () => 'abcdéXYZ😀 '[Math.floor(rng() * 11)]).join('');

for (const deferIndexes of [true, false]) {
  test(`plain secondary indexes ${deferIndexes ? 'built after the copy, replay applying during the build' : 'kept during the copy (--no-defer-indexes)'}: the server's own ALTER`, async () => {
    const database = `deferred_idx_${deferIndexes ? 'on' : 'off'}`;
    databases.push(database);
    let duringCopy: string[] = [];
    const watch = definePlugin({ name: 'watch-shadow', async afterCopy(ctx) { duringCopy = await shadowIndexes(ctx, database); } });
    const outcome = await runFidelityCase({
      database, rows: 5000, seed: 7, deferIndexes, plugins: [watch], opsAfterCopy: 150,
      create: `CREATE TABLE t (id INT NOT NULL PRIMARY KEY, u INT NULL, v INT NULL, w VARCHAR(40) CHARACTER SET utf8mb4 NULL,
        UNIQUE KEY uq_u (u), KEY by_v (v), KEY by_w_v (w(8), v) COMMENT 'prefix', KEY gone (v, u))`,
      alter: 'ADD INDEX by_u_w (u, w), DROP INDEX gone, MODIFY v BIGINT NULL',
      target: { key: ['id'], newKey: (rng) => [intIn(1, 10_000_000)(rng)], columns: { u: orNull(intIn(1, 1_000_000_000)), v: orNull(intIn(-1000, 1000)), w: orNull(word) } },
    });
    checkOutcome(outcome);
    if (deferIndexes) {
      assert.deepEqual(duringCopy, ['PRIMARY', 'uq_u'], 'during the copy the shadow had only its PRIMARY KEY and UNIQUE index');
      assert.ok(outcome.log.some((l) => /deferred index\(es\) by_v, by_w_v, by_u_w on _t_new/.test(l)), outcome.log.join('\n'));
    } else {
      assert.deepEqual(duringCopy, ['PRIMARY', 'by_u_w', 'by_v', 'by_w_v', 'uq_u'], 'every index was there during the copy');
      assert.ok(!outcome.log.some((l) => /deferred index/.test(l)));
    }
  });
}

async function withFixture(db: string, body: (fx: Fixture, work: MirroredWorkload) => Promise<void>): Promise<void> {
  const fx = await createFixture(db, 'int', 6000);
  const work = new MirroredWorkload(fx, seededRandom(13));
  try {
    await body(fx, work);
  } finally {
    await work.close();
    await fx.pool.query(`DROP DATABASE IF EXISTS ${id(db)}`).catch(() => undefined);
    await fx.pool.end();
  }
}

test('a build the server refuses is an IndexBuildError before cutover: the original untouched, a rerun builds and cuts over', async () => {
  await withFixture('deferred_idx_refused', async (fx, work) => {
    const [[before]] = await fx.pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
    // A session that takes the deferred index's name on the shadow makes the build fail (1061).
    const clash = definePlugin({ name: 'clash', async afterCopy() { await fx.pool.query(`ALTER TABLE ${id(SHADOW)} ADD INDEX n_idx (v(4))`); } });
    const run1 = await startRun(fx, { plugins: [clash] });
    const out1 = await run1.done;
    assert.ok(out1.error instanceof IndexBuildError, `an IndexBuildError: ${String(out1.error)}`);
    assert.equal(out1.error.code, 'INDEX_BUILD_FAILED');
    assert.deepEqual(out1.error.indexes, ['n_idx']);
    assert.match(out1.error.message, /n_idx.*original table is untouched/);
    assert.doesNotMatch(out1.error.message, /\n/);
    const [[after1]] = await fx.pool.query<RowDataPacket[]>('SHOW CREATE TABLE t');
    assert.equal(after1!['Create Table'], before!['Create Table'], 'the original table is unchanged');
    const st = await tableState(fx);
    assert.ok(st.shadow && st.row, 'the shadow and the checkpoint stay for a rerun');
    await fx.pool.query(`ALTER TABLE ${id(SHADOW)} DROP INDEX n_idx`); // the operator removes the clash
    work.start(2);
    const { result, run } = await runToEnd(fx);
    await work.stop();
    assert.equal(result.resumed, true);
    assert.ok(run.infos().some((m) => /resuming: the deferred index\(es\) n_idx are built after the copy/.test(m)), run.infos().join('\n'));
    await assertMatchesMirror(fx, 'after the rerun');
  });
});

test('interrupted between the copy and the build: the resumed run copies nothing and builds the indexes', async () => {
  await withFixture('deferred_idx_resume', async (fx, work) => {
    let run1: Awaited<ReturnType<typeof startRun>> | undefined;
    const stop = definePlugin({ name: 'stop-after-copy', afterCopy() { run1!.migration.cancel('the test interrupts before the build'); } });
    work.start(2);
    run1 = await startRun(fx, { plugins: [stop] });
    const out1 = await run1.done;
    await work.stop();
    assert.ok(out1.error instanceof MigrationCancelledError, `run 1 was cancelled: ${String(out1.error)}`);
    const st = await tableState(fx);
    assert.equal(st.row?.low_watermark, '"done"', 'the checkpoint says the copy is complete');
    const idx = await shadowIndexes(undefined, fx.db);
    assert.deepEqual(idx, ['PRIMARY'], 'the index was not built yet');
    await work.burst(200);
    let chunks = 0;
    const count = definePlugin({ name: 'count', afterChunk() { chunks++; } });
    work.start(2);
    const { result, run } = await runToEnd(fx, { plugins: [count] });
    await work.stop();
    assert.equal(result.resumed, true);
    assert.equal(chunks, 0, 'nothing was copied again');
    assert.ok(run.infos().some((m) => /resuming: the deferred index\(es\) n_idx are built after the copy/.test(m)), run.infos().join('\n'));
    await assertMatchesMirror(fx, 'resumed before the build');
  });
});
