/**
 * The checkpoint scenarios of issue 4, each an async function that throws (an AssertionError) when
 * the behaviour is wrong. The node:test files call them once or per seed; scripts/stress-resume.ts
 * calls scenarios 1, 4, 5, 9 and 11 in a loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RowDataPacket } from 'mysql2/promise';
import { MigrationCancelledError, SourceTableChangedError } from '../../mod.ts';
import {
  BinlogNotFoundError, CheckpointFormatError, CheckpointMissingError, CheckpointTooOldError, CheckpointWriteError,
  MismatchedStatementError, ShadowTableMissingError,
} from '../../plugins/checkpoint/index.ts';
import { testServer } from '../../scripts/sandbox.ts';
import { assertNoSecrets, secretsOf } from '../support/cli.ts';
import { seededRandom } from '../support/random.ts';
import {
  asSaved, assertMatchesMirror, CHECKPOINT, createFixture, frozenState, id, interruptedCopy, MirroredWorkload,
  pacer, runToEnd, savedWatermark, SHADOW, sleep, startRun, STATEMENT, tableState, waitUntil, type Fixture, type TableKind,
} from './checkpoint-helpers.ts';

const never = new AbortController().signal;
const pause = (ms: number) => sleep(ms, never);

async function withFixture<T>(db: string, kind: TableKind, rows: number, seed: number, body: (fx: Fixture, work: MirroredWorkload, rnd: () => number) => Promise<T>): Promise<T> {
  const rnd = seededRandom(seed);
  const fx = await createFixture(db, kind, rows);
  const work = new MirroredWorkload(fx, rnd);
  try {
    return await body(fx, work, rnd);
  } finally {
    await work.close();
    await fx.pool.query(`DROP DATABASE IF EXISTS ${id(db)}`).catch(() => undefined);
    await fx.pool.end();
  }
}

async function assertCleanAfterSuccess(fx: Fixture): Promise<void> {
  const st = await tableState(fx);
  assert.equal(st.checkpoint, false, 'the checkpoint is dropped after a successful cutover');
  assert.equal(st.shadow, false, 'no shadow table is left');
  assert.equal(st.swapped, true, 't has the new definition');
}

// ---- 1 and 10: resume during copy ----

/**
 * Interrupt the copy after the first checkpoint (with a workload running), change rows while the
 * migrator is down, resume (workload running), compare with the mirror. The second run must
 * resume from the saved watermark and copy less than the table.
 */
export async function resumeDuringCopy(seed: number, kind: TableKind = 'int', db = `chk_copy_${kind}`): Promise<void> {
  await withFixture(db, kind, 12_000, seed, async (fx, work, rnd) => {
    work.start(2);
    await interruptedCopy(fx, { chunks: 3 + Math.floor(rnd() * 6) });
    await work.stop();
    const st = await tableState(fx);
    assert.ok(st.shadow && st.row, 'the shadow table and the checkpoint survive the cancellation');
    const saved = savedWatermark(st.row);
    assert.ok(Array.isArray(saved), `a key watermark was saved (${String(st.row?.low_watermark)})`);
    if (kind === 'binary') assert.match(String(st.row!.low_watermark), /^\[\{"\$hex":"[0-9a-f]{32}"\}\]$/, 'BINARY keys are saved as hex');
    if (kind === 'bigint') assert.match(String(st.row!.low_watermark), /^\["18446744073709\d{6}"\]$/, 'BIGINT keys beyond 2^53 are saved as exact strings');

    await work.burst(300); // inserts, updates and deletes while the migrator is down

    const p2 = pacer({ sleepMs: 2 });
    work.start(2);
    const { result, run } = await runToEnd(fx, { checkpoint: { strict: true }, plugins: [p2.plugin] });
    await work.stop();
    assert.equal(result.resumed, true, 'the second run resumed');
    assert.deepEqual(asSaved(p2.started[0]?.lower), saved, 'the copy restarted right after the saved watermark');
    const copied = p2.chunks.reduce((n, c) => n + c.rows, 0);
    assert.ok(copied < fx.rows, `the second run copied ${copied} rows, fewer than the table's ${fx.rows}: not a fresh copy`);
    assert.ok(run.infos().some((m) => m.startsWith('resuming: copy after')), 'the output says it resumed and from where');
    assert.deepEqual(run.warnings().filter((w) => /resum|fresh/.test(w)), [], 'no warning about the checkpoint');
    await assertCleanAfterSuccess(fx);
    await assertMatchesMirror(fx, `resume during copy (${kind}, seed ${seed})`);
  });
}

// ---- 2: resume during replay catch-up ----

/** Interrupt while waiting to cut over (copy done, replay applying the workload); resume skips the copy. */
export async function resumeDuringReplay(seed: number, db = 'chk_replay'): Promise<void> {
  await withFixture(db, 'int', 8_000, seed, async (fx, work, rnd) => {
    work.start(2);
    const run1 = await startRun(fx, { deferCutover: true, plugins: [pacer({ sleepMs: 5 }).plugin] });
    await waitUntil('the deferred cutover', async () => (await tableState(fx)).sentinel);
    await pause(200 + Math.floor(rnd() * 300)); // replay keeps applying the workload
    assert.ok(work.ops > 0, 'the workload ran');
    run1.migration.cancel('the test interrupts the replay');
    const out1 = await run1.done;
    assert.ok(out1.error instanceof MigrationCancelledError, `run 1 was cancelled: ${String(out1.error)}`);
    await work.stop();
    const st = await tableState(fx);
    assert.equal(st.row?.low_watermark, '"done"', 'the checkpoint says the copy is complete');
    assert.equal(st.row?.phase, 'wait-for-cutover', 'it was written in the wait for cutover');

    await work.burst(300);
    await fx.pool.query('DROP TABLE `_sluice_sentinel`'); // left by run 1: it would hold run 2's cutover
    const p2 = pacer();
    work.start(2);
    const { result, run } = await runToEnd(fx, { checkpoint: { strict: true }, plugins: [p2.plugin] });
    await work.stop();
    assert.equal(result.resumed, true);
    assert.equal(p2.chunks.length, 0, 'no chunk was copied again');
    assert.ok(run.infos().some((m) => /every row was copied before the interruption/.test(m)));
    await assertCleanAfterSuccess(fx);
    await assertMatchesMirror(fx, `resume during replay (seed ${seed})`);
  });
}

// ---- 3: phantom rows ----

/**
 * One worker's chunk never finishes, so the low watermark stays low while the other worker copies
 * rows above it. Rows deleted while the migrator is down — below the watermark and above it but
 * already in the shadow table — must not reappear.
 */
export async function phantomRows(seed: number, db = 'chk_phantom'): Promise<void> {
  await withFixture(db, 'int', 12_000, seed, async (fx, work) => {
    await interruptedCopy(fx, { chunks: 8, blockChunk: 2 });
    const st = await tableState(fx);
    const wm = savedWatermark(st.row) as number[];
    assert.ok(Array.isArray(wm), 'a watermark was saved');
    const [above] = await fx.pool.query<RowDataPacket[]>(`SELECT id FROM ${id(SHADOW)} WHERE id > ? ORDER BY RAND(?) LIMIT 30`, [wm[0], seed]);
    const [below] = await fx.pool.query<RowDataPacket[]>(`SELECT id FROM ${id(SHADOW)} WHERE id <= ? ORDER BY RAND(?) LIMIT 20`, [wm[0], seed]);
    assert.ok(above.length >= 20, `rows above the watermark ${wm[0]} are already in the shadow table (${above.length})`);
    assert.ok(below.length >= 10, 'rows below the watermark are in the shadow table');
    const gone = [...above.slice(0, 20), ...below].map((r) => Number(r.id));
    await work.deleteKeys(gone);
    await work.updateKeys(above.slice(20).map((r) => Number(r.id)));
    await work.burst(100);

    const { result } = await runToEnd(fx, { checkpoint: { strict: true } });
    assert.equal(result.resumed, true);
    const [left] = await fx.pool.query<RowDataPacket[]>('SELECT id FROM t WHERE id IN (?)', [gone]);
    assert.deepEqual(left.map((r) => r.id), [], 'no deleted row reappears');
    await assertCleanAfterSuccess(fx);
    await assertMatchesMirror(fx, `phantom rows (seed ${seed})`);
  });
}

// ---- 4–8: refusals ----

export type Refusal = 'binlog-purged' | 'too-old' | 'other-statement' | 'checkpoint-dropped' | 'row-deleted' | 'format-version' | 'shadow-dropped';

const OTHER_SPEC = 'ADD COLUMN extra INT NOT NULL DEFAULT 9, ADD INDEX n_idx (n)';

const REFUSALS: Record<Refusal, { error: new (...a: never[]) => Error; warning: RegExp; statement?: string; spec?: string; shadowKept: boolean }> = {
  'binlog-purged': { error: BinlogNotFoundError, warning: /the binlog checkpoint .* resumes from is gone \(binlog\.\d+ is no longer listed by SHOW BINARY LOGS: it was purged\)/, shadowKept: true },
  'too-old': { error: CheckpointTooOldError, warning: /was last written 7d1h ago, more than the maximum age 7d0h/, shadowKept: true },
  'other-statement': { error: MismatchedStatementError, warning: /was written for a different statement \("ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7/, statement: `ALTER TABLE t ${OTHER_SPEC}`, spec: OTHER_SPEC, shadowKept: true },
  'checkpoint-dropped': { error: CheckpointMissingError, warning: /shadow table `chk_\w+`\.`_t_new` exists but its checkpoint table `chk_\w+`\.`_t_chkpnt` is missing/, shadowKept: true },
  'row-deleted': { error: CheckpointMissingError, warning: /exists but its checkpoint table `chk_\w+`\.`_t_chkpnt` has no row/, shadowKept: true },
  'format-version': { error: CheckpointFormatError, warning: /is unreadable \(format version 99; this Sluice reads version 3\)/, shadowKept: true },
  'shadow-dropped': { error: ShadowTableMissingError, warning: /checkpoint `chk_\w+`\.`_t_chkpnt` exists but the shadow table `chk_\w+`\.`_t_new` is gone/, shadowKept: false },
};

async function breakCheckpoint(fx: Fixture, what: Refusal): Promise<void> {
  const db = fx.pool;
  switch (what) {
    case 'binlog-purged': {
      const st = await tableState(fx);
      await db.query('FLUSH BINARY LOGS');
      const [[status]] = await db.query<RowDataPacket[]>('SHOW MASTER STATUS') as unknown as [RowDataPacket[]];
      // MariaDB keeps a file until InnoDB has made its transactions durable (its binlog
      // checkpoint): purge again until the checkpoint's file is gone.
      await waitUntil(`${String(st.row!.binlog_file)} to be purged`, async () => {
        await db.query('PURGE BINARY LOGS TO ?', [status!.File]);
        const [logs] = await db.query<RowDataPacket[]>('SHOW BINARY LOGS');
        return !logs.some((l) => l.Log_name === st.row!.binlog_file);
      }, 15_000);
      return;
    }
    case 'too-old': await db.query(`UPDATE ${id(CHECKPOINT)} SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 169 HOUR`); return;
    case 'other-statement': return;
    case 'checkpoint-dropped': await db.query(`DROP TABLE ${id(CHECKPOINT)}`); return;
    case 'row-deleted': await db.query(`DELETE FROM ${id(CHECKPOINT)}`); return;
    case 'format-version': await db.query(`UPDATE ${id(CHECKPOINT)} SET format_version = 99`); return;
    case 'shadow-dropped': await db.query(`DROP TABLE ${id(SHADOW)}`); return;
  }
}

/**
 * An interrupted migration whose checkpoint is then made unusable. Strict: the typed error, one
 * line, and nothing touched. Non-strict: a warning naming the reason, a fresh start, correct data.
 */
export async function refusal(what: Refusal, strict: boolean, seed: number, db = `chk_refuse_${strict ? 's' : 'n'}`): Promise<void> {
  const r = REFUSALS[what];
  await withFixture(db, 'int', 6_000, seed, async (fx, work) => {
    await interruptedCopy(fx, { chunks: 3 });
    await work.burst(150);
    await breakCheckpoint(fx, what);
    if (strict) {
      const before = r.shadowKept ? await frozenState(fx) : await tableState(fx);
      const run = await startRun(fx, { statement: r.statement, checkpoint: { strict: true } });
      const out = await run.done;
      assert.ok(out.error instanceof r.error, `strict ${what}: ${r.error.name} expected, got ${String(out.error)}`);
      const message = (out.error as Error).message;
      assert.doesNotMatch(message, /\n/, 'one line');
      assert.match(message, /^cannot resume: .*; .*(drop|raise|run|resume|keep)/, 'it says what to do');
      assert.match(message, r.warning, 'it names the reason');
      assert.equal(out.disposeError, undefined);
      const after = r.shadowKept ? await frozenState(fx) : await tableState(fx);
      assert.deepEqual(after, before, 'strict mode touched neither the shadow table nor the checkpoint');
      if (what === 'too-old') {
        // Just inside the maximum age, the same checkpoint resumes.
        await fx.pool.query(`UPDATE ${id(CHECKPOINT)} SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 167 HOUR`);
        const { result } = await runToEnd(fx, { checkpoint: { strict: true } });
        assert.equal(result.resumed, true, 'a checkpoint younger than maxAge resumes');
        await assertMatchesMirror(fx, 'resume at 167h');
      }
      return;
    }
    const { result, run } = await runToEnd(fx, { statement: r.statement });
    assert.equal(result.resumed, false, 'non-strict starts fresh');
    const warned = run.warnings().filter((w) => w.startsWith('not resuming: '));
    assert.equal(warned.length, 1, `one warning naming the reason: ${JSON.stringify(run.warnings())}`);
    assert.match(warned[0]!, r.warning);
    assert.match(warned[0]!, /starting fresh$/);
    if (r.shadowKept) assert.ok(run.warnings().some((w) => /dropping the leftover shadow table/.test(w)), 'the stale shadow table is dropped');
    await assertCleanAfterSuccess(fx);
    await assertMatchesMirror(fx, `non-strict ${what}`, r.spec);
  });
}

/** A checkpoint write that fails stops the migration with CheckpointWriteError and keeps the shadow table. */
export async function failedWriteStops(seed: number, db = 'chk_write'): Promise<void> {
  await withFixture(db, 'int', 8_000, seed, async (fx) => {
    let dropped = false;
    const p = pacer({
      sleepMs: 10,
      onChunk: async (n) => {
        if (n === 3 && !dropped) {
          dropped = true;
          await fx.pool.query(`DROP TABLE ${id(CHECKPOINT)}`);
        }
      },
    });
    const run = await startRun(fx, { plugins: [p.plugin], checkpoint: { interval: 0 } });
    const out = await run.done;
    assert.ok(out.error instanceof CheckpointWriteError, `CheckpointWriteError expected, got ${String(out.error)}`);
    assert.match((out.error as Error).message, /^saving checkpoint `chk_write`\.`_t_chkpnt` failed \(.*doesn't exist\); the migration stopped with every table kept/);
    const st = await tableState(fx);
    assert.ok(st.shadow && !st.swapped, 'the shadow table is kept and nothing was swapped');
  });
}

/** A DDL on the source during the copy fails the run with SourceTableChangedError and drops the checkpoint. */
export async function sourceChangeDrops(seed: number, db = 'chk_ddl'): Promise<void> {
  await withFixture(db, 'int', 8_000, seed, async (fx) => {
    let altered = false;
    const p = pacer({
      sleepMs: 20,
      onChunk: async (n) => {
        if (n === 3 && !altered) {
          altered = true;
          await fx.pool.query('ALTER TABLE t ADD COLUMN sneaky INT NULL');
        }
      },
    });
    const run = await startRun(fx, { plugins: [p.plugin] });
    const out = await run.done;
    assert.ok(out.error instanceof SourceTableChangedError, `SourceTableChangedError expected, got ${String(out.error)}`);
    const st = await tableState(fx);
    assert.equal(st.checkpoint, false, 'the invalidated checkpoint is dropped');
    assert.ok(run.infos().some((m) => /checkpoint _t_chkpnt dropped: the source table changed/.test(m)));
  });
}

// ---- 9: teardown race ----

export interface RaceOutcome {
  /** How the first run ended: 'completed' or 'cancelled'. */
  run1: string;
  /** What the second run found: 'resume', 'fresh-warned', 'fresh', or 'swapped' (run 1 had cut over). */
  found: string;
}

/**
 * Start run(), dispose at a random moment (a random time, or synchronously at a random event),
 * with a workload running throughout. Then a second migration: with a checkpoint it must resume
 * (strict, so a silent fresh start would fail), with only a shadow table it must warn; the final
 * data must match the mirror.
 */
export async function teardownRace(seed: number, db = 'chk_race'): Promise<RaceOutcome> {
  return withFixture(db, 'int', 1_500 + (seed % 2_000), seed, async (fx, work, rnd) => {
    work.start(3);
    const p = pacer({ sleepMs: () => Math.floor(rnd() * 6) });
    const run1 = await startRun(fx, { checkpoint: { interval: Math.floor(rnd() * 150) }, plugins: [p.plugin] });
    if (rnd() < 0.5) {
      await pause(Math.floor(rnd() * 450));
    } else {
      const at = Math.floor(rnd() * 45);
      let seen = 0;
      await new Promise<void>((resolve) => {
        const off = run1.migration.on(() => {
          if (++seen === at) {
            off();
            void run1.migration[Symbol.asyncDispose]().catch(() => undefined); // synchronously inside the event
            resolve();
          }
        });
        void run1.done.then(() => resolve());
      });
    }
    void run1.migration[Symbol.asyncDispose]().catch(() => undefined);
    const out1 = await run1.done;
    assert.equal(out1.disposeError, undefined, `seed ${seed}: dispose never throws (${String(out1.disposeError)})`);
    if (out1.error) assert.ok(out1.error instanceof MigrationCancelledError, `seed ${seed}: run 1 ended cancelled or done, not ${String(out1.error)}`);
    const run1State = out1.error ? 'cancelled' : 'completed';

    const st = await tableState(fx);
    let found: string;
    if (st.swapped) {
      found = 'swapped';
      assert.ok(!st.shadow && !st.checkpoint, `seed ${seed}: after the swap neither shadow (${st.shadow}) nor checkpoint (${st.checkpoint}) is left`);
    } else {
      assert.equal(out1.result, undefined, `seed ${seed}: a completed run has swapped`);
      if (st.checkpoint) {
        assert.ok(st.shadow, `seed ${seed}: a checkpoint never outlives its shadow table`);
        assert.ok(st.row, `seed ${seed}: the checkpoint table always holds its row`);
      }
      found = st.row ? 'resume' : st.shadow ? 'fresh-warned' : 'fresh';
      const { result, run } = await runToEnd(fx, { checkpoint: { strict: found === 'resume' } });
      const warned = run.warnings().filter((w) => w.startsWith('not resuming: '));
      if (found === 'resume') {
        assert.equal(result.resumed, true, `seed ${seed}: the second run resumed`);
      } else {
        assert.equal(result.resumed, false);
        if (found === 'fresh-warned') assert.match(warned[0] ?? '', /exists but its checkpoint table .* is missing/, `seed ${seed}: the fresh start is announced`);
        else assert.deepEqual(warned, [], `seed ${seed}: nothing to warn about`);
      }
      await assertCleanAfterSuccess(fx);
    }
    await work.stop();
    await assertMatchesMirror(fx, `teardown race seed ${seed} (run 1 ${run1State}, found ${found})`);
    return { run1: run1State, found };
  });
}

// ---- 11: SIGKILL of the CLI ----

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface CliRun {
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

function startCli(fx: Fixture, configPath: string, extra: string[]): CliRun {
  const s = testServer();
  const child = spawn(process.execPath, [
    '--import', TSX, join(ROOT, 'cli/main.ts'),
    '--host', s.host, '--port', String(s.port), '--user', s.user, '--database', fx.db,
    '--statement', STATEMENT, '--threads', '2', '--target-chunk-time', '5', '--no-native', '--config', configPath, ...extra,
  ], { env: { ...process.env, MYSQL_PWD: s.password, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('close', (code, signal) => {
      try {
        assertNoSecrets({ stdout: out, stderr: err }, secretsOf([], { MYSQL_PWD: s.password }));
        resolve({ code, signal });
      } catch (e) {
        reject(e);
      }
    });
  });
  return { stderr: () => err, exited, kill: () => child.kill('SIGKILL') };
}

/**
 * The CLI (with the checkpoint plugin from a config file) is killed with SIGKILL at random points
 * of the copy and of the replay before cutover, `kills` times, with a workload running; each rerun
 * that finds a checkpoint must resume; the last run completes and the data matches the mirror.
 */
export async function sigkillRuns(seed: number, kills = 3, db = 'chk_kill'): Promise<{ phases: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chk-'));
  const config = join(dir, 'migrate.config.mjs');
  writeFileSync(config, [
    `import { checkpointPlugin } from ${JSON.stringify(join(ROOT, 'plugins/checkpoint/index.ts'))};`,
    `import { definePlugin, sleep } from ${JSON.stringify(join(ROOT, 'mod.ts'))};`,
    'export default {',
    '  progressIntervalMs: 50,',
    "  plugins: [checkpointPlugin({ interval: '300ms' }), definePlugin({ name: 'pacer', async afterChunk(ctx) { await sleep(60, ctx.signal); } })],",
    '};',
  ].join('\n'));
  try {
    return await withFixture(db, 'int', 30_000, seed, async (fx, work, rnd) => {
      work.start(3);
      const phases: string[] = [];
      for (let i = 0; i < kills; i++) {
        const before = await tableState(fx);
        const cli = startCli(fx, config, ['--defer-cutover']);
        const target = rnd() < 0.6 ? 'copy' : 'wait-for-cutover';
        await waitUntil(`the CLI to reach ${target}`, () => new RegExp(`^migrate: \\S+ phase ${target}$`, 'm').test(cli.stderr()), 60_000)
          .catch((err: Error) => { cli.kill(); throw new Error(`${err.message}; stderr: ${cli.stderr()}`); });
        await pause(Math.floor(rnd() * (target === 'copy' ? 2_500 : 800)));
        cli.kill();
        const exit = await cli.exited;
        assert.equal(exit.signal, 'SIGKILL', `kill ${i}: the CLI was killed, it did not exit on its own (${exit.code}): ${cli.stderr()}`);
        const phase = [...cli.stderr().matchAll(/^migrate: \S+ phase (connect|inspect|native|prepare|copy|verify|wait-for-cutover|cutover)$/gm)].pop()?.[1] ?? '?';
        phases.push(phase);
        if (before.row) assert.match(cli.stderr(), /migrate: \S+ resuming: copy after/, `kill ${i}: the rerun found a checkpoint and resumed: ${cli.stderr()}`);
        const st = await tableState(fx);
        if (st.checkpoint) assert.ok(st.shadow && st.row, `kill ${i}: a checkpoint row and its shadow table are left`);
      }
      const before = await tableState(fx);
      if (before.sentinel) await fx.pool.query('DROP TABLE `_sluice_sentinel`');
      const last = startCli(fx, config, []);
      const exit = await last.exited;
      assert.equal(exit.code, 0, `the last run completes: ${last.stderr()}`);
      if (before.row) assert.match(last.stderr(), /migrate: \S+ resuming: copy after/, 'the last run resumed');
      assert.match(last.stderr(), /rows copied/);
      await work.stop();
      await assertCleanAfterSuccess(fx);
      await assertMatchesMirror(fx, `SIGKILL seed ${seed} (killed in ${phases.join(', ')})`);
      return { phases };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * Scenario 9 as node:test tests: `rounds` seeded teardown races from `base`, then a check that
 * enough of them left a checkpoint to resume from (or the seeds proved little).
 */
export function teardownRaceTests(base: number, rounds: number): void {
  const found: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    test(`9. teardown race, seed ${base + i}`, async () => {
      const o = await teardownRace(base + i);
      const key = `run 1 ${o.run1}, then ${o.found}`;
      found[key] = (found[key] ?? 0) + 1;
    });
  }
  test(`9. the seeds exercised resumes (base seed ${base})`, (t) => {
    t.diagnostic(JSON.stringify(found));
    const resumed = Object.entries(found).filter(([k]) => k.endsWith('resume')).reduce((n, [, v]) => n + v, 0);
    assert.ok(resumed >= 5, `at least 5 of ${rounds} disposals left a checkpoint to resume from: ${JSON.stringify(found)}`);
  });
}
