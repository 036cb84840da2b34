/**
 * The mdl plugin against a real server: one migration per table, the lock released on every way
 * out (success, failure, cancellation, dispose at a random moment), lost and re-taken locks.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, MigrationCancelledError, type PluginContext, type SluicePlugin } from '../../mod.ts';
import { LockHeldError, LockLostError, lockName, mdlPlugin } from '../../plugins/mdl/index.ts';
import { appPool, freshDatabase, testConnection } from '../support/db.ts';
import { baseSeed, seededRandom } from '../support/random.ts';

const DB = 'mdl_test';
const STATEMENT = (table: string) => `ALTER TABLE ${table} MODIFY v VARCHAR(64) NOT NULL`;
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let pool: Pool;
let admin: Pool;

before(async () => {
  pool = await freshDatabase(DB);
  admin = appPool(undefined, 4);
});

after(async () => {
  await pool.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(DB)}`);
  await pool.end();
  await admin.end();
});

async function table(name: string, rows = 2000): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${mysql.escapeId(name)}, ${mysql.escapeId(`_${name}_new`)}, ${mysql.escapeId(`_${name}_old`)}`);
  await pool.query(`CREATE TABLE ${mysql.escapeId(name)} (id INT NOT NULL PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
  await pool.query(`INSERT INTO ${mysql.escapeId(name)} (id, v) SELECT seq, CONCAT('row ', seq) FROM seq_1_to_${rows}`);
}

async function one<T>(sql: string, values: unknown[] = []): Promise<T> {
  const [rows] = await admin.query<RowDataPacket[]>(sql, values);
  return Object.values(rows[0]!)[0] as T;
}

/** Who holds the table's lock (independently of the plugin): a connection id, or null. */
async function holder(name: string): Promise<number | null> {
  const v = await one<unknown>('SELECT IS_USED_LOCK(?)', [lockName(DB, name)]);
  return v === null ? null : Number(v);
}

async function isFree(name: string): Promise<boolean> {
  return Number(await one<unknown>('SELECT IS_FREE_LOCK(?)', [lockName(DB, name)])) === 1;
}

/** A plugin that holds the run in `hook` until released (or the run is aborted). */
function gate(hook: 'beforeCopy' | 'beforeCutover', name = `gate-${hook}`) {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => { reached = r; });
  const released = new Promise<void>((r) => { release = r; });
  const plugin: SluicePlugin = definePlugin({
    name,
    [hook]: async (ctx: PluginContext) => {
      reached();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new MigrationCancelledError('gate aborted'));
        if (ctx.signal.aborted) return onAbort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        void released.then(() => { ctx.signal.removeEventListener('abort', onAbort); resolve(); });
      });
    },
  });
  return { plugin, reached: reachedP, release };
}

function migration(name: string, plugins: SluicePlugin[]) {
  return createMigration({ connection: testConnection(DB), statement: STATEMENT(name), tryNative: false, plugins });
}

async function values(name: string): Promise<string> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT id, v FROM ${mysql.escapeId(name)} ORDER BY id`);
  return JSON.stringify(rows);
}

test('a second migration of the same table fails at once with LockHeldError naming the holder', async () => {
  await table('held');
  const g = gate('beforeCopy');
  const a = await migration('held', [mdlPlugin(), g.plugin]);
  const runA = a.run();
  await g.reached;
  const holderId = await holder('held');
  assert.ok(holderId !== null, 'the first migration holds the lock while it runs');

  const b = await migration('held', [mdlPlugin()]);
  const started = performance.now();
  const err = await b.run().then(() => assert.fail('the second migration must not run'), (e: unknown) => e);
  const elapsed = performance.now() - started;
  await b[Symbol.asyncDispose]();
  assert.ok(err instanceof LockHeldError, `expected LockHeldError, got ${String(err)}`);
  assert.equal(err.code, 'LOCK_HELD');
  assert.equal(err.holder, String(holderId));
  assert.match(err.message, /`mdl_test`\.`held`/);
  assert.match(err.message, new RegExp(`connection ${holderId}\\b`));
  assert.match(err.message, /wait for that migration to finish or stop it/);
  assert.ok(!err.message.includes('\n'), 'one line');
  assert.ok(elapsed < 2000, `failed fast (${elapsed.toFixed(0)} ms)`);
  assert.equal(await holder('held'), holderId, 'the failed runner did not disturb the first one');

  const before = await values('held');
  g.release();
  const result = await runA;
  assert.equal(result.mode, 'copy');
  assert.equal(await values('held'), before, 'the first migration completed with its data');
  await a[Symbol.asyncDispose]();
  assert.equal(await isFree('held'), true);
});

test('the lock is held during the run and free right after dispose of a successful run', async () => {
  await table('ok');
  const before = await values('ok');
  const a = await migration('ok', [mdlPlugin()]);
  const result = await a.run();
  assert.equal(result.mode, 'copy');
  assert.equal(await values('ok'), before);
  assert.notEqual(await holder('ok'), null, 'still held until dispose');
  await a[Symbol.asyncDispose]();
  assert.equal(await isFree('ok'), true, 'released when dispose returns');
});

test('the lock is released after a failure (a plugin hook throws)', async () => {
  await table('fail');
  const boom = new Error('boom in beforeCopy');
  let onErrorSeen: unknown;
  const failing = definePlugin({ name: 'failing', beforeCopy: () => { throw boom; }, onError: (_c, e) => { onErrorSeen = e; } });
  const a = await migration('fail', [mdlPlugin(), failing]);
  await assert.rejects(a.run(), (e) => e === boom);
  assert.equal(onErrorSeen, boom);
  assert.notEqual(await holder('fail'), null, 'held until dispose');
  await a[Symbol.asyncDispose]();
  assert.equal(await isFree('fail'), true);
});

test('the lock is released after cancellation', async () => {
  await table('cancel');
  const g = gate('beforeCopy');
  const a = await migration('cancel', [mdlPlugin(), g.plugin]);
  const run = a.run();
  await g.reached;
  assert.notEqual(await holder('cancel'), null);
  a.cancel('test cancels');
  await assert.rejects(run, MigrationCancelledError);
  await a[Symbol.asyncDispose]();
  assert.equal(await isFree('cancel'), true);
});

test('two different tables migrate concurrently', async () => {
  await table('one', 3000);
  await table('two', 3000);
  const [v1, v2] = [await values('one'), await values('two')];
  const g1 = gate('beforeCopy', 'gate1');
  const g2 = gate('beforeCopy', 'gate2');
  const a = await migration('one', [mdlPlugin(), g1.plugin]);
  const b = await migration('two', [mdlPlugin(), g2.plugin]);
  const runs = [a.run(), b.run()];
  await Promise.all([g1.reached, g2.reached]);
  const [h1, h2] = [await holder('one'), await holder('two')];
  assert.ok(h1 !== null && h2 !== null && h1 !== h2, `both locks held at once by different connections (${h1}, ${h2})`);
  g1.release();
  g2.release();
  const results = await Promise.all(runs);
  assert.deepEqual(results.map((r) => [r.table, r.mode]), [['one', 'copy'], ['two', 'copy']]);
  assert.equal(await values('one'), v1);
  assert.equal(await values('two'), v2);
  await Promise.all([a[Symbol.asyncDispose](), b[Symbol.asyncDispose]()]);
  assert.equal(await isFree('one'), true);
  assert.equal(await isFree('two'), true);
});

test('a lock lost to another connection fails the migration with LockLostError', async () => {
  await table('stolen');
  const g = gate('beforeCutover');
  // The gate runs before mdl's own beforeCutover check, so the loss is seen there.
  const a = await migration('stolen', [g.plugin, mdlPlugin({ refreshInterval: '200ms' })]);
  const logs: string[] = [];
  a.on((e) => { if (e.type === 'log') logs.push(e.message); });
  const run = a.run();
  await g.reached;
  const old = await holder('stolen');
  assert.ok(old !== null);
  const thief = await admin.getConnection();
  try {
    await thief.query('KILL CONNECTION ?', [old]);
    const name = lockName(DB, 'stolen');
    let got = 0;
    for (let i = 0; i < 50 && got !== 1; i++) {
      const [[row]] = await thief.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got', [name]);
      got = Number(row!.got);
      if (got !== 1) await wait(20);
    }
    assert.equal(got, 1, 'the test connection took the lock after killing the holder');
    for (let i = 0; i < 100 && !logs.some((m) => m.includes('lost the lock')); i++) await wait(50);
    assert.ok(logs.some((m) => m.includes('lost the lock')), `the refresh noticed the loss: ${logs.join(' | ')}`);
    g.release();
    const err = await run.then(() => assert.fail('must not cut over without the lock'), (e: unknown) => e);
    assert.ok(err instanceof LockLostError, `expected LockLostError, got ${String(err)}`);
    assert.equal(err.holder, String(thief.threadId));
    assert.ok(!err.message.includes('\n'));
    await a[Symbol.asyncDispose]();
    assert.equal(await holder('stolen'), thief.threadId, 'dispose does not release a lock it does not hold');
  } finally {
    await thief.query('SELECT RELEASE_ALL_LOCKS()');
    thief.release();
  }
  assert.equal(await isFree('stolen'), true);
});

test('after its connection is killed, the lock is taken again and the migration completes', async () => {
  await table('rekill');
  const before = await values('rekill');
  const g = gate('beforeCutover');
  const a = await migration('rekill', [g.plugin, mdlPlugin({ refreshInterval: 200 })]);
  const logs: string[] = [];
  a.on((e) => { if (e.type === 'log') logs.push(e.message); });
  const run = a.run();
  await g.reached;
  const old = await holder('rekill');
  assert.ok(old !== null);
  await admin.query('KILL CONNECTION ?', [old]);
  let now: number | null = null;
  for (let i = 0; i < 100; i++) {
    now = await holder('rekill');
    if (now !== null && now !== old) break;
    await wait(50);
  }
  assert.ok(now !== null && now !== old, `taken again by a new connection (old ${old}, now ${now})`);
  assert.ok(logs.some((m) => m.includes('took the lock') && m.includes('again')), logs.join(' | '));
  g.release();
  const result = await run;
  assert.equal(result.mode, 'copy');
  assert.equal(await values('rekill'), before);
  await a[Symbol.asyncDispose]();
  assert.equal(await isFree('rekill'), true);
});

test('disposed at a random moment, the next runner always gets the lock at once', async () => {
  const seed = baseSeed();
  console.log(`mdl random dispose: seed ${seed} (rerun with SEED=${seed})`);
  const rnd = seededRandom(seed);
  await table('rnd');
  const outcomes: Record<string, number> = {};
  const ITERATIONS = 30;
  for (let i = 0; i < ITERATIONS; i++) {
    const delay = Math.floor(rnd() * 1600);
    const a = await migration('rnd', [mdlPlugin()]);
    const runA = a.run().then(() => 'completed', (e: unknown) => (e instanceof MigrationCancelledError ? 'cancelled' : e));
    await wait(delay);
    await a[Symbol.asyncDispose]();
    const outcome = await runA;
    if (typeof outcome !== 'string') assert.fail(`iteration ${i} (seed ${seed}, delay ${delay} ms): the run failed: ${String(outcome)}`);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    assert.equal(await isFree('rnd'), true, `iteration ${i} (seed ${seed}, delay ${delay} ms): lock free right after dispose`);

    // The next runner takes the lock at once: its preflight hook runs after mdl's.
    let took: number | null = null;
    const stop = new Error('probe: stop after the lock was taken');
    const probe = definePlugin({ name: 'probe', preflight: async () => { took = await holder('rnd'); throw stop; } });
    const b = await migration('rnd', [mdlPlugin(), probe]);
    const err = await b.run().then(() => undefined, (e: unknown) => e);
    await b[Symbol.asyncDispose]();
    assert.equal(err, stop, `iteration ${i} (seed ${seed}): the next runner got ${String(err)}`);
    assert.ok(took !== null, `iteration ${i} (seed ${seed}): the next runner held the lock`);
    assert.equal(await isFree('rnd'), true, `iteration ${i} (seed ${seed}): the next runner released it`);
  }
  console.log(`mdl random dispose: ${JSON.stringify(outcomes)}`);
});
