/**
 * Issue 14, "progress a person can trust", through the built `migrate` CLI as a subprocess:
 * every --json line of real runs (success, refusal, connection failure, a run resumed after
 * SIGKILL, a run under a write load) matches the documented schema (cli/event-schema.ts), and the
 * counts agree with the table the server holds afterwards; piped output is plain timestamped
 * lines with no control characters; the summary names the old table's fate.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { eventSchema, type JsonEvent } from '../../cli/event-schema.ts';
import { freshDatabase } from '../support/db.ts';
import { connectionFlags, runCli, startCli, startCliInTerminal } from '../support/cli.ts';
import { intIn, Workload } from '../support/workload.ts';
import { ensureBuilt, ROOT } from './examples-helpers.ts';

const DB = 'cli_progress';
let pool: Pool;

before(async () => {
  ensureBuilt();
  pool = await freshDatabase(DB);
});
after(async () => { await pool.query(`DROP DATABASE IF EXISTS ${DB}`); await pool.end(); });

async function makeTable(name: string, rows: number, pk = true): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${name}`);
  await pool.query(`CREATE TABLE ${name} (id INT ${pk ? 'PRIMARY KEY' : 'NOT NULL'}, v VARCHAR(40) NOT NULL, n INT NULL)`);
  if (rows > 0) await pool.query(`INSERT INTO ${name} SELECT seq, CONCAT('v', seq), seq % 7 FROM seq_1_to_${rows}`);
}

async function count(table: string): Promise<number> {
  const [[row]] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row!.n);
}

async function exists(table: string): Promise<boolean> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [DB, table]);
  return rows.length > 0;
}

/** Every stdout line parsed and checked against the schema (a line that does not match fails the test, naming it). */
function events(stdout: string): JsonEvent[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, 'some events were printed');
  return lines.map((line) => {
    const parsed = eventSchema.safeParse(JSON.parse(line));
    assert.ok(parsed.success, `an event does not match the schema: ${line}\n${parsed.success ? '' : parsed.error.message}`);
    return parsed.data;
  });
}

const progressOf = (evs: JsonEvent[]) => evs.filter((e): e is Extract<JsonEvent, { type: 'progress' }> => e.type === 'progress');
const doneOf = (evs: JsonEvent[]) => evs.find((e): e is Extract<JsonEvent, { type: 'done' }> => e.type === 'done');

/** A config dir: frequent progress, a pace per chunk (so a run has many progress reports), `extra` config source. */
async function configDir(opts: { extraPlugins?: string[]; preamble?: string[]; paceMs?: number } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-progress-'));
  const plugins = [`definePlugin({ name: 'pacer', async afterChunk(ctx) { await sleep(${opts.paceMs ?? 400}, ctx.signal); } })`, ...(opts.extraPlugins ?? [])];
  await writeFile(join(dir, 'migrate.config.mjs'), [
    `import { definePlugin, sleep } from ${JSON.stringify(join(ROOT, 'dist/mod.js'))};`,
    ...(opts.preamble ?? []),
    `export default { progressIntervalMs: 100, threads: 2, targetChunkMs: 50, plugins: [${plugins.join(', ')}] };`,
  ].join('\n'));
  return join(dir, 'migrate.config.mjs');
}

/** The copy's counts add up, agree with each other, and never go back. */
function assertCountsAgree(evs: JsonEvent[], rowsInTable: number | undefined, what: string): void {
  const progress = progressOf(evs);
  assert.ok(progress.length >= 2, `${what}: several progress events`);
  let last = 0;
  for (const p of progress) {
    const s = p.snapshot;
    assert.equal(s.rowsCopied, s.rowsResumed + s.rowsWritten + s.rowsSkipped, `${what}: rowsCopied = resumed + written + skipped in ${JSON.stringify(s)}`);
    assert.ok(s.rowsCopied >= last, `${what}: rowsCopied never goes back`);
    assert.ok(s.rowsBelowWatermark <= s.rowsCopied);
    last = s.rowsCopied;
  }
  const done = doneOf(evs)!.result;
  const final = progress.at(-1)!.snapshot;
  assert.equal(done.rowsCopied, final.rowsCopied, `${what}: the result says what the last progress said`);
  assert.equal(done.rowsCopied, done.rowsResumed + done.rowsWritten + done.rowsSkipped);
  assert.ok(progress.some((p) => p.rowsPerSecond !== null && p.etaSeconds !== null && p.percent !== null && p.percent < 100), `${what}: a progress event with a rate, an ETA and a percent`);
  assert.equal(progress.at(-1)!.percent, 100);
  assert.equal(progress.at(-1)!.etaSeconds, 0);
  const checked = evs.filter((e): e is Extract<JsonEvent, { type: 'step' }> => e.type === 'step' && e.finished).at(-1);
  assert.ok(checked, `${what}: the checksum reported its pass`);
  if (rowsInTable !== undefined) {
    assert.equal(done.rowsCopied, rowsInTable, `${what}: rows copied = rows in the table`);
    assert.equal(checked.done, rowsInTable, `${what}: the checksum counted the rows of the table`);
  }
  assert.deepEqual(done.phases.map((p) => p.phase), ['connect', 'inspect', 'native', 'prepare', 'copy', 'indexes', 'verify', 'wait-for-cutover', 'cutover']);
}

test('--json: every event matches the schema, has a time, and the counts agree with the table; the old table is dropped', async () => {
  await makeTable('t_json', 40_000);
  const config = await configDir();
  const r = await runCli([...connectionFlags(DB), '--no-native', '--config', config, '--json', '--statement', 'ALTER TABLE t_json ADD COLUMN extra INT NOT NULL DEFAULT 1'], { built: true });
  assert.equal(r.code, 0, r.stderr);
  const evs = events(r.stdout);
  assert.ok(evs.every((e) => !Number.isNaN(Date.parse(e.time))), 'every event has a time');
  assertCountsAgree(evs, await count('t_json'), 'fresh run');
  const steps = evs.filter((e) => e.type === 'step');
  assert.ok(steps.length >= 1 && steps.every((s) => s.type === 'step' && s.step === 'checksum pass 1'));
  const done = doneOf(evs)!.result;
  assert.equal(done.resumed, false);
  assert.equal(done.rowsSkipped, 0, 'nothing was there before the copy (no writes during the run)');
  assert.ok(done.chunks > 1);
  assert.deepEqual(done.cutover && { renamedTo: done.cutover.renamedTo, oldTable: done.cutover.oldTable }, { renamedTo: '_t_json_old', oldTable: null });
  assert.equal(await exists('_t_json_old'), false, 'dropped, as the result says');
});

test('piped: plain timestamped status lines with every fact, no control characters; the summary says the old table was dropped or kept', async () => {
  await makeTable('t_plain', 20_000);
  const config = await configDir();
  const dropped = await runCli([...connectionFlags(DB), '--no-native', '--config', config, '--statement', 'ALTER TABLE t_plain ADD COLUMN extra INT NULL'], { built: true });
  assert.equal(dropped.code, 0, dropped.stderr);
  const out = dropped.stderr;
  assert.doesNotMatch(out, /[\x1b\r]/, 'no escape sequence, no carriage return');
  const lines = out.split('\n').filter((l) => l !== '');
  const timed = lines.filter((l) => /^migrate: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /.test(l));
  assert.ok(timed.length > 5, `timestamped lines: ${out}`);
  assert.ok(timed.some((l) => / phase copy$/.test(l)), 'phase changes are lines');
  const status = timed.filter((l) => / rows copied of ~[\d,]+ \(estimated\)/.test(l));
  assert.ok(status.length >= 1, `a status line during the copy: ${out}`);
  assert.match(status[0]!, /^migrate: \S+ copy \d+% · [\d,]+ rows copied of ~[\d,]+ \(estimated\) · (\?|[\d,]+) rows\/s · ETA \S+.* · replay lag (\d+ s|unknown) behind the binlog head · [\d,]+ keys pending · [\d,]+ row events replayed · not throttled · elapsed \S+/);
  assert.match(out, /migrate: cli_progress\.t_plain migrated: 20,000 rows copied \(20,000 written\), writes blocked \d+ ms at cutover/);
  assert.match(out, /\n {2}rows in the table: 20,000, all matching \(checksum\) · \d+ chunks · 0 row events replayed\n/);
  assert.match(out, /\n {2}phases: connect [\d.]+ s · inspect [\d.]+ s · native [\d.]+ s · prepare [\d.]+ s · copy [\d.]+ s · indexes [\d.]+ s · verify [\d.]+ s · wait-for-cutover [\d.]+ s · cutover [\d.]+ s\n/);
  assert.match(out, /\n {2}old table: `_t_plain_old` dropped\n$/);
  assert.equal(await exists('_t_plain_old'), false);

  await makeTable('t_kept', 3000);
  const kept = await runCli([...connectionFlags(DB), '--no-native', '--keep-old-table', '--statement', 'ALTER TABLE t_kept ADD COLUMN extra INT NULL'], { built: true });
  assert.equal(kept.code, 0, kept.stderr);
  assert.doesNotMatch(kept.stderr, /[\x1b\r]/);
  assert.match(kept.stderr, /\n {2}old table: kept as `_t_kept_old`\n$/);
  assert.equal(await count('_t_kept_old'), 3000, 'kept, as the summary says');
});

test('on a terminal: a bar with percent, rows of the estimate, rows/s, ETA, replay lag, pending keys, throttle state, elapsed; phases stay above', async () => {
  await makeTable('t_tty', 40_000);
  const config = await configDir();
  const run = startCliInTerminal([...connectionFlags(DB), '--no-native', '--config', config, '--statement', 'ALTER TABLE t_tty ADD COLUMN extra INT NULL']);
  try {
    const { code, output } = await run.done;
    assert.equal(code, 0, output);
    assert.match(output, /copy \[[█░]{20}\] \d+% · [\d,]+ rows copied of ~[\d,]+ \(estimated\) · [\d,?]+ rows\/s · ETA \S+/);
    assert.match(output, /replay lag (\d+ s|unknown) behind the binlog head · \d+ keys pending · \d+ row events replayed · not throttled · elapsed \d+/);
    assert.match(output, /▸ copy\r?\n/);
    assert.match(output, /old table: `_t_tty_old` dropped/);
  } finally {
    run.kill();
  }
});

test('--json on a refusal and on a connection failure: schema-valid failed events with the class name and code', async () => {
  await makeTable('t_nopk', 10, false);
  const refused = await runCli([...connectionFlags(DB), '--no-native', '--json', '--statement', 'ALTER TABLE t_nopk ADD COLUMN extra INT NULL'], { built: true });
  assert.equal(refused.code, 2, refused.stderr);
  const failed = events(refused.stdout).filter((e) => e.type === 'failed');
  assert.equal(failed.length, 1);
  assert.deepEqual(failed[0]!.type === 'failed' && [failed[0].name, failed[0].code], ['NoUsableKeyError', 'NO_USABLE_KEY']);

  const free = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address() as { port: number }; srv.close(() => resolve(port)); });
  });
  const flags = connectionFlags(DB);
  flags[flags.indexOf('--port') + 1] = String(free);
  const unreachable = await runCli([...flags, '--no-native', '--json', '--statement', 'ALTER TABLE t_nopk ADD COLUMN extra INT NULL'], { built: true });
  assert.equal(unreachable.code, 2, unreachable.stderr);
  const lost = events(unreachable.stdout).filter((e) => e.type === 'failed');
  assert.equal(lost.length, 1);
  assert.ok(lost[0]!.type === 'failed');
  assert.equal(lost[0].name, 'ConnectFailedError');
  assert.equal(lost[0].code, 'CONNECT_FAILED');
  assert.match(lost[0].error, /cannot connect to 127\.0\.0\.1:\d+/);
});

test('a run resumed after SIGKILL: its counts still add up to the rows in the table', async () => {
  await makeTable('t_resume', 40_000);
  const config = await configDir({
    preamble: [`import { checkpointPlugin } from ${JSON.stringify(join(ROOT, 'dist/plugins/checkpoint/index.js'))};`],
    extraPlugins: ["checkpointPlugin({ interval: '200ms' })"],
  });
  const args = [...connectionFlags(DB), '--no-native', '--config', config, '--json', '--statement', 'ALTER TABLE t_resume ADD COLUMN extra INT NULL'];
  const first = startCli(args, { built: true });
  let out = '';
  first.child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 60_000;
  // killed mid-copy, some time after a checkpoint was written (chunks done since then are copied again, and skipped)
  while (!progressOf(events(out.slice(0, out.lastIndexOf('\n') + 1) || '{"type":"log","level":"info","message":"-","time":"2026-01-01T00:00:00.000Z"}\n')).some((p) => p.snapshot.rowsBelowWatermark > 8000)) {
    assert.ok(Date.now() < deadline, `the first run copies: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 150));
  first.child.kill('SIGKILL');
  const killed = await first.done;
  assert.equal(killed.signal, 'SIGKILL');
  events(killed.stdout.slice(0, killed.stdout.lastIndexOf('\n') + 1));

  const second = await runCli(args, { built: true });
  assert.equal(second.code, 0, second.stderr);
  const evs = events(second.stdout);
  const done = doneOf(evs)!.result;
  assert.equal(done.resumed, true);
  assert.ok(done.rowsResumed > 0 && done.rowsResumed < 40_000, `rows from the first run: ${done.rowsResumed}`);
  assertCountsAgree(evs, await count('t_resume'), 'resumed run');
  assert.equal(await count('t_resume'), 40_000);
});

test('under a concurrent write load: the counts add up, and the checksum counts the rows the table has', async () => {
  await makeTable('t_load', 40_000);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-gate-'));
  const copied = join(dir, 'copied');
  const goOn = join(dir, 'go-on');
  // After the copy, the run waits until the test has stopped the load, so the checksum counts a table that no longer changes.
  const gate = `definePlugin({ name: 'gate', async afterCopy(ctx) { const fs = await import('node:fs'); fs.writeFileSync(${JSON.stringify(copied)}, ''); while (!fs.existsSync(${JSON.stringify(goOn)})) await sleep(20, ctx.signal); } })`;
  const config = await configDir({ extraPlugins: [gate] });
  const work = await Workload.start({
    pool, seed: 14, workers: 3, maxMs: 120_000, pauseMs: 2,
    target: { schema: DB, table: 't_load', key: ['id'], integerKey: true, newKey: (rng) => [40_000 + Math.floor(rng() * 10_000)], columns: { v: () => 'w', n: intIn(0, 100) } },
  });
  const run = startCli([...connectionFlags(DB), '--no-native', '--config', config, '--json', '--statement', 'ALTER TABLE t_load ADD COLUMN extra INT NULL'], { built: true });
  try {
    const deadline = Date.now() + 120_000;
    while (!existsSync(copied)) {
      assert.ok(Date.now() < deadline && run.child.exitCode === null, 'the copy ends');
      await new Promise((r) => setTimeout(r, 50));
    }
    const stats = await work.stop();
    assert.ok(stats.ops > 0, 'the load wrote during the copy');
    await writeFile(goOn, '');
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr);
    const evs = events(r.stdout);
    assertCountsAgree(evs, undefined, 'under load');
    const checked = evs.filter((e) => e.type === 'step' && e.finished).at(-1)!;
    assert.ok(checked.type === 'step');
    assert.equal(checked.done, await count('t_load'), 'the checksum counted the rows of the table');
    assert.ok(doneOf(evs)!.result.replayEvents > 0, 'replay saw the load');
  } finally {
    if (work.running) await work.stop().catch(() => undefined);
    if (!existsSync(goOn)) await writeFile(goOn, '');
    run.child.kill('SIGKILL');
  }
});
