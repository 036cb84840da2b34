/**
 * `sluice/testing`, as a plugin author's suite uses it: imported by package name (the built
 * dist/testing.js), on the sandbox. Also the lifecycle promises of docs/plugins.md that need a real
 * migration: the order of the hooks, registration order across plugins, disposal in reverse and
 * after the run settled, onCancel (not onError) for a cancelled run, and beforeCutover's veto.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { HookName, PluginContext, SluicePlugin } from '../../mod.ts';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt, EXAMPLES, ROOT } from './examples-helpers.ts';

type Testing = typeof import('../../testing.ts');
type Sluice = typeof import('../../mod.ts');
let testing: Testing;
let sluice: Sluice;
let server: Awaited<ReturnType<Testing['startTestServer']>>;
const DB = 'examples_testing';

before(async () => {
  ensureBuilt();
  const pkg = 'sluice'; // by name: the package's own exports, as in a plugin author's project
  testing = (await import(`${pkg}/testing`)) as Testing;
  sluice = (await import(pkg)) as Sluice;
  server = await testing.startTestServer();
});
after(async () => { await testing.dropTestDatabase(server, DB); });

/** A plugin with every hook, doing nothing: the harness records when each is called. */
function everyHook(name: string, extra: Partial<SluicePlugin> = {}): SluicePlugin {
  const plugin: Record<string, unknown> = { name };
  for (const hook of sluice.HOOK_NAMES) plugin[hook] = () => undefined;
  return { ...(plugin as unknown as SluicePlugin), ...extra };
}

async function table(rows: number) {
  const connection = await testing.createTestDatabase(server, DB);
  const mysql = (await import('mysql2/promise')).default;
  const conn = await mysql.createConnection(connection);
  await conn.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))');
  await conn.query(`INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_${rows}`);
  return { connection, conn };
}

/** Collapses runs of the same hook (chunks, progress ticks) to one. */
const collapse = (hooks: HookName[]) => hooks.filter((h, i) => h !== hooks[i - 1]);

test('startTestServer + createTestDatabase + runWithPlugins: every hook in the documented order, plugins in registration order, disposed in reverse', async () => {
  const { connection, conn } = await table(3000);
  try {
    const run = await testing.runWithPlugins({
      connection, statement: 'ALTER TABLE t ADD COLUMN c INT NULL', tryNative: false,
      plugins: [everyHook('first'), everyHook('second')],
    });
    assert.equal(run.outcome, 'done', String(run.error));
    assert.equal(run.result?.rowsCopied, 3000);
    const order = collapse(run.hooks('first').filter((h) => h !== 'progress'));
    assert.deepEqual(order.filter((h) => h !== 'beforeChunk' && h !== 'afterChunk'),
      ['setup', 'preflight', 'resume', 'beforeCopy', 'afterCopy', 'verify', 'beforeCutover', 'afterCutover', 'onSuccess', 'dispose']);
    assert.ok(order.indexOf('beforeChunk') > order.indexOf('beforeCopy') && order.lastIndexOf('afterChunk') < order.indexOf('afterCopy'));
    assert.ok(!run.hooks().includes('onError') && !run.hooks().includes('onCancel'));
    // Registration order: for every hook but dispose, "first" runs before "second"; dispose in reverse.
    const seq = run.calls.map((c) => `${c.plugin}.${c.hook}`);
    for (const hook of ['setup', 'preflight', 'beforeCopy', 'afterCopy', 'verify', 'beforeCutover', 'afterCutover', 'onSuccess']) {
      assert.ok(seq.indexOf(`first.${hook}`) < seq.indexOf(`second.${hook}`), `${hook}: ${seq.join(' ')}`);
    }
    assert.ok(seq.indexOf('second.dispose') < seq.indexOf('first.dispose'), seq.join(' '));
    assert.deepEqual(seq.slice(-2), ['second.dispose', 'first.dispose'], 'dispose must come after everything else');
    assert.ok(run.calls.every((c) => c.outcome === 'returned'));
    assert.ok(run.events.some((e) => e.type === 'done'));
    const [cols] = await conn.query("SHOW COLUMNS FROM t LIKE 'c'");
    assert.equal((cols as unknown[]).length, 1);
  } finally {
    await conn.end();
  }
});

test('disposed mid-run: the run is cancelled (onCancel, never onError), and disposal waits until the run and its onCancel settled', async () => {
  const { connection, conn } = await table(2000);
  try {
    let settledBeforeDispose: boolean | undefined;
    let cancelDone = false;
    const run = await testing.runWithPlugins({
      connection, statement: 'ALTER TABLE t ADD COLUMN c INT NULL', tryNative: false,
      disposeWhen: (call) => call.plugin === 'watch' && call.hook === 'beforeCutover',
      plugins: [everyHook('watch', {
        // A slow onCancel: dispose must wait for it.
        onCancel: async () => { await new Promise((r) => setTimeout(r, 200)); cancelDone = true; },
        beforeCutover: (ctx: PluginContext) => sluice.sleep(60_000, ctx.signal), // held until the cancel
        dispose: () => { settledBeforeDispose = cancelDone; },
      })],
    });
    assert.equal(run.outcome, 'cancelled', String(run.error));
    assert.ok(sluice.isCancellation(run.error));
    const hooks = run.hooks('watch');
    assert.ok(hooks.includes('onCancel') && !hooks.includes('onError'), hooks.join(' '));
    assert.ok(!hooks.includes('afterCutover'));
    assert.equal(settledBeforeDispose, true, 'dispose ran before the run had settled');
    assert.deepEqual(hooks.slice(-2), ['onCancel', 'dispose']);
    const [cols] = await conn.query("SHOW COLUMNS FROM t LIKE 'c'");
    assert.equal((cols as unknown[]).length, 0, 'cut over although cancelled');
  } finally {
    await conn.end();
  }
});

test('beforeCutover vetoes the cutover by throwing: the run fails (onError), the table is untouched, later hooks never run', async () => {
  const { connection, conn } = await table(1000);
  try {
    class NotApprovedError extends sluice.SluiceError { constructor() { super('NOT_APPROVED', 'change window closed'); } }
    const run = await testing.runWithPlugins({
      connection, statement: 'ALTER TABLE t ADD COLUMN c INT NULL', tryNative: false,
      plugins: [everyHook('veto', { beforeCutover: () => { throw new NotApprovedError(); } }), everyHook('after')],
    });
    assert.equal(run.outcome, 'failed');
    assert.ok(run.error instanceof NotApprovedError);
    assert.ok(run.hooks('veto').includes('onError') && !run.hooks('veto').includes('onCancel'));
    // the first throw stops the hook: the next plugin's beforeCutover never runs, nor afterCutover
    assert.ok(!run.hooks('after').includes('beforeCutover') && !run.hooks().includes('afterCutover'), run.hooks().join(' '));
    const [cols] = await conn.query("SHOW COLUMNS FROM t LIKE 'c'");
    assert.equal((cols as unknown[]).length, 0, 'cut over despite the veto');
  } finally {
    await conn.end();
  }
});

test('a cancel arriving during afterCutover: the hook runs to its end on a live signal, and the run is done (onSuccess, not onCancel)', async () => {
  const { connection, conn } = await table(500);
  try {
    let signalInHook: boolean | undefined;
    const run = await testing.runWithPlugins({
      connection, statement: 'ALTER TABLE t ADD COLUMN c INT NULL', tryNative: false,
      cancelWhen: (call) => call.hook === 'afterCutover',
      plugins: [everyHook('late', {
        afterCutover: async (ctx: PluginContext) => { await new Promise((r) => setTimeout(r, 100)); signalInHook = ctx.signal.aborted; },
      })],
    });
    assert.equal(run.outcome, 'done', String(run.error));
    assert.equal(signalInHook, false, 'afterCutover saw the abort');
    const hooks = run.hooks('late');
    assert.ok(hooks.includes('onSuccess') && !hooks.includes('onCancel') && !hooks.includes('onError'), hooks.join(' '));
  } finally {
    await conn.end();
  }
});

test('examples/approval-gate.test.mjs, a plugin author\'s own test on sluice/testing, passes', () => {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // a test run of its own, not a subtest of this one
  const r = spawnSync(process.execPath, ['--test', join(EXAMPLES, 'approval-gate.test.mjs')], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /# pass 1/);
});
