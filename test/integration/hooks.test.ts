/**
 * gh-ost hooks through the real CLI (--hooks-path): every hook point in order with gh-ost's
 * variables, several files per hook in name order, on-begin-postponed and on-status during a deferred
 * cutover, and a failing gh-ost-on-before-cut-over that vetoes the cutover (its output in the error,
 * the table untouched, the checkpoint kept, on-failure run). No password reaches a hook.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'mysql2/promise';
import { testServer } from '../../scripts/sandbox.ts';
import { connectionFlags, runCli, startCli } from '../support/cli.ts';
import { fileDatabases } from '../support/db.ts';

const DB = 'hooks_test';
const dbs = fileDatabases();
let pool: Pool;
before(async () => { pool = await dbs.database(DB); });

const HOOKS = [
  'gh-ost-on-startup', 'gh-ost-on-validated', 'gh-ost-on-rowcount-complete', 'gh-ost-on-before-row-copy', 'gh-ost-on-status',
  'gh-ost-on-row-copy-complete', 'gh-ost-on-begin-postponed', 'gh-ost-on-before-cut-over', 'gh-ost-on-success', 'gh-ost-on-failure',
];

/** A hooks directory whose every hook appends one line (its name and some variables) to log.txt. */
function hooksDir(extra: Record<string, string> = {}): { dir: string; log: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-hooks-'));
  const write = (name: string, body: string) => { writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`); chmodSync(join(dir, name), 0o755); };
  for (const hook of HOOKS) {
    write(hook, `echo "${hook} db=$GH_OST_DATABASE_NAME t=$GH_OST_TABLE_NAME ghost=$GH_OST_GHOST_TABLE_NAME old=$GH_OST_OLD_TABLE_NAME copied=$GH_OST_COPIED_ROWS est=$GH_OST_ESTIMATED_ROWS hint=$GH_OST_HOOKS_HINT err=$SLUICE_ERROR" >> log.txt\nenv >> env.txt`);
  }
  write('gh-ost-on-startup-2-second', 'echo "gh-ost-on-startup-2-second ddl=$GH_OST_DDL" >> log.txt');
  writeFileSync(join(dir, 'gh-ost-on-startup-3-not-executable'), '#!/bin/sh\necho never >> log.txt\n');
  for (const [name, body] of Object.entries(extra)) write(name, body);
  return { dir, log: () => (existsSync(join(dir, 'log.txt')) ? readFileSync(join(dir, 'log.txt'), 'utf8').trim().split('\n') : []) };
}

async function makeTable(name: string, rows: number): Promise<void> {
  await pool.query(`CREATE TABLE ${name} (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)`);
  await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq) FROM seq_1_to_${rows}`);
}

test('every gh-ost hook runs at its point, in order, with gh-ost\'s variables; files of one hook run in name order', async () => {
  await makeTable('t_hooks', 3000);
  const { dir, log } = hooksDir();
  const statement = 'ALTER TABLE t_hooks ADD COLUMN d INT NULL';
  const r = await runCli([...connectionFlags(DB), '--no-native', '--hooks-path', dir, '--hooks-hint', 'ticket-42', '--statement', statement]);
  assert.equal(r.code, 0, r.stderr);
  const names = log().map((l) => l.split(' ')[0]).filter((n) => n !== 'gh-ost-on-status');
  assert.deepEqual(names, [
    'gh-ost-on-startup', 'gh-ost-on-startup-2-second', 'gh-ost-on-validated', 'gh-ost-on-rowcount-complete', 'gh-ost-on-before-row-copy',
    'gh-ost-on-row-copy-complete', 'gh-ost-on-before-cut-over', 'gh-ost-on-success',
  ]);
  const line = (hook: string) => log().find((l) => l.startsWith(`${hook} `))!;
  assert.match(line('gh-ost-on-row-copy-complete'), new RegExp(`^gh-ost-on-row-copy-complete db=${DB} t=t_hooks ghost=_t_hooks_new old=_t_hooks_old copied=3000 est=\\d+ hint=ticket-42 err=$`));
  assert.equal(line('gh-ost-on-startup-2-second'), `gh-ost-on-startup-2-second ddl=${statement}`);
  assert.ok(!readFileSync(join(dir, 'env.txt'), 'utf8').includes(testServer().password), 'a hook saw the password');
});

test('a deferred cutover runs gh-ost-on-begin-postponed once and gh-ost-on-status while it waits', async () => {
  await makeTable('t_postpone', 500);
  const { dir, log } = hooksDir();
  const { done } = startCli([...connectionFlags(DB), '--no-native', '--defer-cutover', '--hooks-path', dir, '--hooks-status-interval', '200ms',
    '--statement', 'ALTER TABLE t_postpone ADD COLUMN d INT NULL']);
  const deadline = Date.now() + 60_000;
  while (!log().some((l) => l.startsWith('gh-ost-on-begin-postponed')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2500));
  await pool.query('DROP TABLE _sluice_sentinel');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const names = log().map((l) => l.split(' ')[0]);
  assert.equal(names.filter((n) => n === 'gh-ost-on-begin-postponed').length, 1);
  assert.ok(names.filter((n) => n === 'gh-ost-on-status').length >= 1, names.join(', '));
  assert.ok(names.indexOf('gh-ost-on-begin-postponed') < names.indexOf('gh-ost-on-before-cut-over'));
});

test('a failing gh-ost-on-before-cut-over vetoes the cutover: its output in the error, the table untouched, the checkpoint kept, on-failure run', async () => {
  await makeTable('t_veto', 800);
  const { dir, log } = hooksDir({ 'gh-ost-on-before-cut-over-zz-gate': 'echo "change window closed (CAB-7)" >&2\nexit 3' });
  const r = await runCli([...connectionFlags(DB), '--no-native', '--hooks-path', dir, '--statement', 'ALTER TABLE t_veto ADD COLUMN d INT NULL']);
  assert.equal(r.code, 1, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('migrate: error:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0]!, /hook .*gh-ost-on-before-cut-over-zz-gate exited 3: change window closed \(CAB-7\)/);
  const [cols] = await pool.query("SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't_veto' AND COLUMN_NAME = 'd'", [DB]);
  assert.equal(Number((cols as Array<{ n: number }>)[0]!.n), 0, 'cut over despite the veto');
  const [tables] = await pool.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_t\\_veto%'", [DB]);
  assert.deepEqual((tables as Array<{ t: string }>).map((t) => t.t).sort(), ['_t_veto_chkpnt', '_t_veto_new']);
  const failure = log().find((l) => l.startsWith('gh-ost-on-failure '));
  assert.ok(failure, log().join('\n'));
  assert.match(failure!, /err=hook .*gh-ost-on-before-cut-over-zz-gate exited 3: change window closed/);
  assert.ok(!log().some((l) => l.startsWith('gh-ost-on-success')));
});

test('a hook is bounded: past --hooks-timeout it is killed and fails the run; Ctrl-C during a hook cancels (exit 130, no on-failure)', async () => {
  await makeTable('t_slow', 300);
  const slow = hooksDir({ 'gh-ost-on-before-cut-over-slow': 'sleep 30' });
  const started = Date.now();
  const r = await runCli([...connectionFlags(DB), '--no-native', '--hooks-path', slow.dir, '--hooks-timeout', '1s', '--statement', 'ALTER TABLE t_slow ADD COLUMN d INT NULL']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /hook .*gh-ost-on-before-cut-over-slow did not finish within 1 s/);
  assert.ok(Date.now() - started < 25_000, 'the hook was not killed at its timeout');

  const held = hooksDir({ 'gh-ost-on-before-row-copy-hold': 'echo holding >> log.txt\nsleep 60' });
  const { child, done } = startCli([...connectionFlags(DB), '--no-native', '--hooks-path', held.dir, '--statement', 'ALTER TABLE t_slow ADD COLUMN e INT NULL']);
  const deadline = Date.now() + 60_000;
  while (!held.log().includes('holding') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
  const signalled = Date.now();
  child.kill('SIGINT');
  const c = await done;
  assert.equal(c.code, 130, c.stderr);
  assert.ok(Date.now() - signalled < 20_000, 'Ctrl-C waited for the hook to finish');
  assert.ok(!held.log().some((l) => l.startsWith('gh-ost-on-failure')), 'a cancellation ran gh-ost-on-failure');
});
