import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'mysql2/promise';
import { auxPort, testServer } from '../../scripts/sandbox.ts';
import { freshDatabase } from '../support/db.ts';
import { connectionFlags, runCli, startCli, startCliInTerminal } from '../support/cli.ts';

const DB = 'cli_test';
let pool: Pool;

before(async () => { pool = await freshDatabase(DB); });
after(async () => { await pool.query(`DROP DATABASE IF EXISTS ${DB}`); await pool.end(); });

async function tables(): Promise<string[]> {
  const [rows] = await pool.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [DB]);
  return (rows as Array<{ t: string }>).map((r) => r.t);
}

async function showCreate(table: string): Promise<string> {
  const [rows] = await pool.query(`SHOW CREATE TABLE ${DB}.${table}`);
  return (rows as Array<Record<string, string>>)[0]!['Create Table']!;
}

/** Polls until `ok` holds, or fails naming `what`. */
async function waitFor(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rejects if `p` has not settled within `ms` (a CLI that ignores a signal fails the test instead of hanging it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A folder whose migrate.config.mjs loads a plugin slowing every chunk (so a signal lands mid-copy), plus `extra` plugin source. */
async function slowConfigDir(extra = ''): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  await writeFile(join(dir, 'slow.mjs'), `export default { name: 'slow', async beforeChunk() { await new Promise((r) => setTimeout(r, 50)); } };\n`);
  const plugins = ["'./slow.mjs'"];
  if (extra) {
    await writeFile(join(dir, 'extra.mjs'), extra);
    plugins.push("'./extra.mjs'");
  }
  await writeFile(join(dir, 'migrate.config.mjs'), `export default { plugins: [${plugins.join(', ')}] };\n`);
  return dir;
}

async function makeTable(name: string, rows: number): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${name}`);
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL, n INT NULL)`);
  if (rows > 0) await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq), seq % 7 FROM seq_1_to_${rows}`);
}

test('a migration through the CLI exits 0, says what it did, and alters the table with every row intact', async () => {
  await makeTable('t_ok', 5000);
  const [before] = await pool.query('SELECT id, v, n FROM t_ok ORDER BY id');
  const r = await runCli([...connectionFlags(DB), '--no-native', '--statement', 'ALTER TABLE t_ok ADD INDEX idx_v (v)']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /migrate: cli_test\.t_ok migrated: 5,000 rows copied/);
  assert.match(await showCreate('t_ok'), /KEY `idx_v` \(`v`\)/);
  const [afterRows] = await pool.query('SELECT id, v, n FROM t_ok ORDER BY id');
  assert.deepEqual(afterRows, before);
  assert.deepEqual((await tables()).filter((t) => t.startsWith('_t_ok')), [], 'leftover tables');
});

test('bad input: one line naming the problem and the fix, exit 2, nothing changed on the server', async () => {
  await makeTable('t_bad', 10);
  const created = await showCreate('t_bad');
  const cases: Array<[string[], RegExp]> = [
    [['--statement', 'DROP TABLE t_bad'], /ALTER TABLE/],
    [['--statement', 'ALTER TABLE t_bad RENAME TO t_other'], /RENAME/i],
    [['--statement', 'ALTER TABLE t_bad ALGORITHM=INPLACE, ADD INDEX (v)'], /ALGORITHM/],
    [['--statement', 'ALTER TABLE t_missing ADD INDEX (v)'], /t_missing/],
    [['--statement', 'ALTER TABLE t_bad ADD INDEX (no_such_column)'], /no_such_column/],
    [['--threads', 'lots', '--statement', 'ALTER TABLE t_bad ADD INDEX (v)'], /--threads/],
    [['--bogus-flag'], /bogus-flag/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli([...connectionFlags(DB), '--no-native', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('migrate: error:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
  }
  assert.equal(await showCreate('t_bad'), created);
  assert.deepEqual((await tables()).filter((t) => t.startsWith('_')), []);
});

test('a table without a primary key is refused with exit 2 and left alone', async () => {
  await pool.query('CREATE TABLE t_nopk (a INT, b INT)');
  const r = await runCli([...connectionFlags(DB), '--statement', 'ALTER TABLE t_nopk ADD INDEX (a)']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /primary key/i);
  assert.doesNotMatch(await showCreate('t_nopk'), /KEY `a`/);
});

test('the password never appears in output, even when the server rejects it', async () => {
  const secret = 'Very-Secret-Pw-42';
  const viaFlag = await runCli([...connectionFlags(DB), '--password', secret, '--statement', 'ALTER TABLE t_ok ADD INDEX (n)']);
  const viaEnv = await runCli([...connectionFlags(DB), '--statement', 'ALTER TABLE t_ok ADD INDEX (n)'], { env: { MYSQL_PWD: secret } });
  const viaJson = await runCli([...connectionFlags(DB), '--json', '--statement', 'ALTER TABLE t_ok ADD INDEX (n)'], { env: { MYSQL_PWD: secret } });
  for (const r of [viaFlag, viaEnv, viaJson]) {
    assert.equal(r.code, 2, r.stderr); // a refused login is bad input: nothing changed
    assert.match(r.stderr, /access denied — check --user and the password/);
    assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${r.stdout}\n${r.stderr}`);
  }
  const ok = await runCli([...connectionFlags(DB), '--json', '--no-native', '--statement', 'ALTER TABLE t_ok ADD INDEX idx_n (n)']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(!ok.stdout.includes(testServer().password) && !ok.stderr.includes(testServer().password));
});

test('a malformed --replica is refused (exit 2, nothing changed) without echoing any part of it', async () => {
  await makeTable('t_dsn', 10);
  const created = await showCreate('t_dsn');
  const cases = ['user:Sekr1t-A@127.0.0.1:3306', 'notadsn:Sekr1t-B', 'mysql://u:Sekr1t-C@127.0.0.1:port']; // more shapes: test/unit/throttler-replica.test.ts
  for (const dsn of cases) {
    // runCli fails the test if any of the secrets shows in the output
    const r = await runCli([...connectionFlags(DB), '--replica', dsn, '--statement', 'ALTER TABLE t_dsn ADD INDEX (v)'], { secrets: [dsn, /Sekr1t-\w/.exec(dsn)![0]] });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^migrate: error: replicas\[0\] .*not shown: it may hold a password.*mysql:\/\/user:(password|\*\*\*)@host:port$/m);
  }
  assert.equal(await showCreate('t_dsn'), created);
  assert.deepEqual((await tables()).filter((t) => t.startsWith('_t_dsn')), []);
});

test('a replica that cannot be reached, or a throttle query that fails, is refused at start: exit 2, nothing created', async () => {
  await makeTable('t_unchecked', 10);
  const created = await showCreate('t_unchecked');
  const cases: Array<[string[], RegExp]> = [
    [['--replica', `mysql://repl:Unseen-Pw-2@127.0.0.1:${auxPort('nothing')}`], new RegExp(`cannot check the throttlers.*replica repl@127\\.0\\.0\\.1:${auxPort('nothing')} unreadable`)],
    [['--throttle-query', 'SELECT COUNT(*) FROM no_such_table'], /cannot check the throttlers.*throttleQuery check failed .*no_such_table/],
  ];
  for (const [flags, pattern] of cases) {
    const r = await runCli([...connectionFlags(DB), '--no-native', ...flags, '--statement', 'ALTER TABLE t_unchecked ADD INDEX (v)']);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('migrate: error:'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
  }
  assert.equal(await showCreate('t_unchecked'), created);
  assert.deepEqual((await tables()).filter((t) => t.startsWith('_t_unchecked')), []);
});

test('--json prints one event per line: phases, logs and the result', async () => {
  await makeTable('t_json', 2000);
  const r = await runCli([...connectionFlags(DB), '--json', '--no-native', '--statement', 'ALTER TABLE t_json MODIFY n BIGINT NULL']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; phase?: string; result?: { rowsCopied: number; mode: string } });
  const phases = events.filter((e) => e.type === 'phase' && (e as { state?: string }).state === 'start').map((e) => e.phase);
  assert.deepEqual(phases, ['connect', 'inspect', 'native', 'prepare', 'copy', 'indexes', 'verify', 'wait-for-cutover', 'cutover']);
  const done = events.at(-1)!;
  assert.equal(done.type, 'done');
  assert.equal(done.result!.rowsCopied, 2000);
  assert.equal(done.result!.mode, 'copy');
});

test('a config file supplies options, flags override it, and it can load a plugin by path', async () => {
  await makeTable('t_cfg', 300);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  await writeFile(join(dir, 'marker-plugin.mjs'), `
    export default () => ({ name: 'marker', afterCutover(ctx, r) { ctx.log.info('marker plugin saw cutover, lock ' + typeof r.lockMs); } });
  `);
  const s = testServer();
  await writeFile(join(dir, 'migrate.config.mjs'), `export default {
    connection: { host: ${JSON.stringify(s.host)}, port: ${s.port}, user: ${JSON.stringify(s.user)}, database: 'no_such_db' },
    statement: 'ALTER TABLE t_cfg ADD COLUMN c1 INT NULL',
    tryNative: false,
    plugins: ['./marker-plugin.mjs'],
  };\n`);
  // found by search in the working directory; --database overrides the config's wrong one
  const r = await runCli(['--database', DB], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /marker plugin saw cutover, lock number/);
  assert.match(await showCreate('t_cfg'), /`c1` int\(11\) DEFAULT NULL/);
  // without the override the config's database is used, and refused clearly
  const bad = await runCli(['--config', join(dir, 'migrate.config.mjs'), '--statement', 'ALTER TABLE t_cfg ADD COLUMN c2 INT NULL']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /no_such_db/);
});

test('--defer-cutover waits for the sentinel to be dropped; --keep-old-table keeps the original', async () => {
  await makeTable('t_defer', 1000);
  const { done } = startCli([...connectionFlags(DB), '--no-native', '--defer-cutover', '--keep-old-table', '--statement', 'ALTER TABLE t_defer ADD COLUMN d INT NULL']);
  let seen = false;
  for (let i = 0; i < 200 && !seen; i++) {
    seen = (await tables()).includes('_sluice_sentinel');
    if (!seen) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen, 'the sentinel table was never created');
  await new Promise((r) => setTimeout(r, 1500));
  assert.doesNotMatch(await showCreate('t_defer'), /`d`/, 'cut over while the sentinel existed');
  await pool.query('INSERT INTO t_defer VALUES (5001, "late", 1)'); // replay keeps going while it waits
  await pool.query('DROP TABLE _sluice_sentinel');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(await showCreate('t_defer'), /`d` int\(11\) DEFAULT NULL/);
  const [late] = await pool.query('SELECT v FROM t_defer WHERE id = 5001');
  assert.deepEqual(late, [{ v: 'late' }]);
  assert.ok((await tables()).includes('_t_defer_old'));
  assert.match(r.stderr, /\n  old table: kept as `_t_defer_old`\n/);
});

test('SIGINT (even twice) cancels cleanly: exit 130, nothing dropped, the original untouched', async () => {
  await makeTable('t_sig', 60000);
  const dir = await slowConfigDir();
  const { child, done } = startCli([...connectionFlags(DB), '--no-native', '--target-chunk-time', '20', '--statement', 'ALTER TABLE t_sig ADD COLUMN s INT NULL'], { cwd: dir });
  for (let i = 0; i < 200; i++) {
    if ((await tables()).includes('_t_sig_new')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  // an impatient second Ctrl-C while it winds down is absorbed: it still disposes and exits 130
  setTimeout(() => child.kill('SIGINT'), 30);
  const r = await done;
  // The second signal may only land in the last instants of process exit, after the migration was
  // disposed and the final line printed (Node restores the default disposition while it exits);
  // it must never cut a disposal short.
  if (r.signal !== null) assert.match(r.stderr, /migrate: error: migration cancelled .*checkpoint is kept/, 'killed before the migration was disposed');
  else assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /cancelled/);
  assert.doesNotMatch(await showCreate('t_sig'), /`s`/);
  assert.ok((await tables()).includes('_t_sig_new'), 'the shadow table must be kept for a resume');
  const [count] = await pool.query('SELECT COUNT(*) AS c FROM t_sig');
  assert.equal(Number((count as Array<{ c: number }>)[0]!.c), 60000);
});

test('Ctrl-C on a real terminal, with the spinner showing, cancels: exit 130, shadow and checkpoint kept, original untouched', async () => {
  await makeTable('t_tty', 60000);
  const dir = await slowConfigDir();
  const term = startCliInTerminal([...connectionFlags(DB), '--no-native', '--target-chunk-time', '20', '--statement', 'ALTER TABLE t_tty ADD COLUMN s INT NULL'], { cwd: dir });
  const r = await (async () => {
    try {
      await waitFor(async () => (await tables()).includes('_t_tty_new'), 'the shadow table');
      await waitFor(() => /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] copy/.test(term.output()), 'the spinner showing the copy');
      term.ctrlC();
      return await within(term.done, 30_000, 'the CLI exits after Ctrl-C');
    } finally {
      term.kill();
    }
  })();
  assert.equal(r.code, 130, r.output);
  assert.match(r.output, /cancelled .*checkpoint is kept/);
  assert.doesNotMatch(await showCreate('t_tty'), /`s`/);
  const left = await tables();
  assert.ok(left.includes('_t_tty_new') && left.includes('_t_tty_chkpnt'), `kept for a resume: ${left.join(', ')}`);
});

test('a second Ctrl-C after the grace period exits at once when the run does not stop; the checkpoint is kept and a rerun resumes', async () => {
  await makeTable('t_stuck', 60000);
  // A run that does not stop after cancel, nor dispose (like a statement or a close stuck on a lost network path).
  const dir = await slowConfigDir(`const hang = () => new Promise((r) => setTimeout(r, 600_000));
    export default { name: 'stuck', onCancel: hang, dispose: hang };\n`);
  const args = [...connectionFlags(DB), '--no-native', '--target-chunk-time', '20', '--statement', 'ALTER TABLE t_stuck ADD COLUMN s INT NULL'];
  const term = startCliInTerminal(args, { cwd: dir });
  let exited = false;
  void term.done.then(() => { exited = true; }, () => { exited = true; });
  const r = await (async () => {
    try {
      await waitFor(async () => (await tables()).includes('_t_stuck_new'), 'the shadow table');
      await waitFor(() => /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] copy/.test(term.output()), 'the spinner showing the copy');
      term.ctrlC();
      await waitFor(() => /interrupt again after 2 s to exit at once/.test(term.output()), 'the CLI says what a second Ctrl-C does');
      await new Promise((r) => setTimeout(r, 2500)); // past the grace period
      assert.equal(exited, false, `the stuck run must still be winding down:\n${term.output()}`);
      term.ctrlC();
      return await within(term.done, 15_000, 'the CLI exits at once on the second Ctrl-C');
    } finally {
      term.kill();
    }
  })();
  assert.equal(r.code, 130, r.output);
  assert.match(r.output, /exiting without waiting for the run to stop; nothing was dropped, the checkpoint is kept/);
  assert.doesNotMatch(await showCreate('t_stuck'), /`s`/);
  const left = await tables();
  assert.ok(left.includes('_t_stuck_new') && left.includes('_t_stuck_chkpnt'), `kept for a resume: ${left.join(', ')}`);
  // Nothing is left holding the table: the same command (without the stuck plugin) resumes and finishes.
  const again = await runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /60,000 rows copied \(resumed; /);
  assert.match(await showCreate('t_stuck'), /`s` int\(11\) DEFAULT NULL/);
  const [count] = await pool.query('SELECT COUNT(*) AS c FROM t_stuck');
  assert.equal(Number((count as Array<{ c: number }>)[0]!.c), 60000);
});
