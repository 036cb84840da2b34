/**
 * The cutover's lock bounds and the lock-priority assumption, against the real server (the replay
 * stand-in of cutover-helpers.ts does real SQL).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { cutover } from '../../core/cutover/cutover.ts';
import { appPool, testConnection } from '../support/db.ts';
import { metadataLockView, setMetadataLockView } from '../support/mdl-view.ts';
import { drop, fixture, id, noKill, options, SESSION, sleep, untilAborted, withWriters } from './cutover-helpers.ts';

async function adminRows(sql: string): Promise<RowDataPacket[][]> {
  const admin = appPool(undefined, 1);
  try {
    return [(await admin.query<RowDataPacket[]>(sql))[0]];
  } finally {
    await admin.end();
  }
}

/**
 * The lock-priority assumption, measured: the cutover's lock is granted while writes wait (a short
 * transaction holds the table when it is requested), so the server counts one exclusive grant with
 * weaker requests waiting. At max_write_lock_count=1 that is enough for the server to let the queued
 * writes run before the RENAME at UNLOCK: they land in the old table. Preflight refuses such values.
 */
async function cutoverWithQueuedWrites(db: string, maxWriteLockCount: string) {
  const f = await fixture(db);
  const admin = appPool(undefined, 1);
  const holder = await mysql.createConnection(testConnection(f.db));
  const [[was]] = await admin.query<RowDataPacket[]>('SELECT @@GLOBAL.max_write_lock_count AS v') as unknown as [RowDataPacket[]];
  // With a metadata lock view Sluice would wait for the holder instead of queueing behind it.
  const view = await metadataLockView(admin);
  f.replay.onFlush = () => sleep(300);
  try {
    await setMetadataLockView(admin, false);
    await admin.query(`SET GLOBAL max_write_lock_count = ${maxWriteLockCount}`);
    return await withWriters(f, async () => {
      await holder.query('START TRANSACTION');
      await holder.query(`UPDATE ${id(f.table)} SET v = v WHERE id = 1`);
      // Busy for 1.5 s (a running statement, not idle: Sluice's NOWAIT probes take an idle transaction for a blocker and do not queue behind it).
      const commit = holder.query('SELECT SLEEP(1.5)').then(() => holder.query('COMMIT'));
      try {
        return await cutover(options(f, { locks: noKill(5) }));
      } finally {
        await commit;
      }
    });
  } finally {
    await admin.query(`SET GLOBAL max_write_lock_count = ${String(was!.v)}`);
    if (view === 'ACTIVE') await setMetadataLockView(admin, true);
    await holder.end();
    await admin.end();
    await drop(f);
  }
}

test('lock priority: with max_write_lock_count=1 writes queued during the cutover reach the old table; with the default they never do', async () => {
  const low = await cutoverWithQueuedWrites('cutover_wlc_low', '1');
  console.log(`# max_write_lock_count=1: ${low.missing.length} of ${low.written.length} rows written through the cutover went to the old table`);
  assert.ok(low.missing.length > 0, 'every write reached the new table even at max_write_lock_count=1: the measurement did not reproduce');
  const normal = await cutoverWithQueuedWrites('cutover_wlc_default', 'DEFAULT');
  assert.deepEqual(normal.errors, []);
  assert.deepEqual(normal.missing, [], 'a write reached the old table with the default max_write_lock_count');
  const [[now]] = await adminRows('SELECT @@GLOBAL.max_write_lock_count AS v');
  assert.ok(BigInt(String(now!.v)) >= 4294967295n, 'the global was restored');
});

test('the wait for replay under the lock is bounded by --lock-stall-timeout (2 s), not by lock-wait-timeout', async () => {
  const f = await fixture('cutover_stall_bound');
  f.replay.onWaitFor = (signal, n) => (n === 1 ? untilAborted(signal) : Promise.resolve());
  try {
    const started = Date.now();
    const result = await cutover(options(f, { session: { ...SESSION, lockWaitTimeout: 10 } }));
    const elapsed = Date.now() - started;
    assert.equal(result.attempts, 2);
    assert.match(f.warnings[0] ?? '', /replay did not reach .* within 2 s under the lock/);
    // A bound, not a speed: the first attempt held the lock well under lock-wait-timeout (10 s).
    assert.ok(elapsed < 8000, `the cutover took ${elapsed} ms: the lock was held until lock-wait-timeout`);
  } finally {
    await drop(f);
  }
});

test('each attempt catches replay up through the pool before locking, so the wait under the lock has only the tail', async () => {
  const f = await fixture('cutover_precatch');
  const seen: Array<{ call: string; locked: boolean }> = [];
  const locked = async () => ((await f.pool.query<RowDataPacket[]>(`SHOW OPEN TABLES FROM ${id(f.db)} WHERE In_use > 0`))[0]).length > 0;
  const replay = Object.assign(f.replay, {
    async flushPending() {
      seen.push({ call: 'flushPending', locked: await locked() });
      return 0;
    },
  });
  f.replay.onWaitFor = async () => { seen.push({ call: 'waitFor', locked: await locked() }); };
  try {
    await cutover(options(f, { replay }));
    assert.deepEqual(seen, [{ call: 'waitFor', locked: false }, { call: 'flushPending', locked: false }, { call: 'waitFor', locked: true }]);
  } finally {
    await drop(f);
  }
});
