/**
 * A key shape migrated through the `migrate` CLI (checkpoint plugin from a config file, --json)
 * under the fidelity workload (inserts, updates of every column including the key's, key moves,
 * deletes, transactions): the first run is killed with SIGKILL during the copy, the second resumes
 * from the checkpoint and waits at a deferred cutover; the workload is then stopped, the quiescent
 * source copied to `expected_t` with the same ALTER applied by the server itself, the sentinel
 * dropped, and the migrated `t` must equal `expected_t`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../mod.ts';
import { testServer } from '../../scripts/sandbox.ts';
import { compareTables, describeComparison, isIdentical } from './compare.ts';
import { prepareSource, snapshotExpected, type FidelityCase } from './fidelity-harness.ts';
import { Workload, type WorkloadStats } from './workload.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface CliRun {
  readonly events: () => Array<Record<string, unknown>>;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

function startCli(database: string, alter: string, config: string, extra: string[]): CliRun {
  const s = testServer();
  const child = spawn(process.execPath, [
    '--import', TSX, join(ROOT, 'cli/main.ts'),
    '--host', s.host, '--port', String(s.port), '--user', s.user, '--database', database,
    '--statement', `ALTER TABLE t ${alter}`, '--threads', '2', '--target-chunk-time', '5', '--no-native', '--no-checksum',
    '--json', '--config', config, ...extra,
  ], { env: { ...process.env, MYSQL_PWD: s.password, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const events = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { events, stderr: () => `${err}\n${out.slice(-4000)}`, exited, kill: () => child.kill('SIGKILL') };
}

async function until(what: string, cli: CliRun, cond: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      cli.kill();
      throw new Error(`timed out waiting for ${what}; output: ${cli.stderr()}`);
    }
    await sleep(50, AbortSignal.timeout(1000));
  }
}

const phaseStarted = (cli: CliRun, phase: string) => cli.events().some((e) => e.type === 'phase' && e.phase === phase && e.state === 'start');

export interface KeyResumeOutcome {
  /** The key event of each run. */
  keys: Array<Record<string, unknown>>;
  stats: WorkloadStats;
  /** The checkpoint's copy_key after the kill. */
  savedKey: string;
}

export async function killAndResume(c: FidelityCase): Promise<KeyResumeOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-keys-'));
  const config = join(dir, 'migrate.config.mjs');
  writeFileSync(config, [
    `import { checkpointPlugin } from ${JSON.stringify(join(ROOT, 'plugins/checkpoint/index.ts'))};`,
    `import { definePlugin, sleep } from ${JSON.stringify(join(ROOT, 'mod.ts'))};`,
    'export default {',
    '  progressIntervalMs: 100,',
    `  plugins: [checkpointPlugin({ interval: '100ms' }), definePlugin({ name: 'pacer', async afterChunk(ctx) { await sleep(${c.chunkDelayMs ?? 150}, ctx.signal); } })],`,
    '};',
  ].join('\n'));
  const workers = c.workload?.workers ?? 3;
  const pool = await prepareSource(c, workers + 2);
  let workload: Workload | undefined;
  try {
    workload = await Workload.start({
      pool, target: { schema: c.database, table: 't', ...c.target }, seed: c.seed ?? 1, sessionSql: c.sessionSql, workers, maxMs: 120_000, ...c.workload,
    });
    const first = startCli(c.database, c.alter, config, ['--defer-cutover']);
    await until('the first run to copy', first, () => phaseStarted(first, 'copy'));
    await until('a checkpoint with a low watermark', first, async () => {
      const [rows] = await pool.query(`SELECT low_watermark FROM _t_chkpnt WHERE low_watermark NOT IN ('null', '"done"')`).catch(() => [[]]);
      return (rows as unknown[]).length > 0;
    });
    first.kill();
    const exit = await first.exited;
    assert.equal(exit.signal, 'SIGKILL', `the first run was killed, it did not end on its own: ${first.stderr()}`);
    const [saved] = await pool.query(`SELECT copy_key FROM _t_chkpnt`);
    const savedKey = String((saved as Array<{ copy_key: unknown }>)[0]?.copy_key);

    const second = startCli(c.database, c.alter, config, ['--defer-cutover']);
    await until('the second run to wait for the cutover', second, () => phaseStarted(second, 'wait-for-cutover'), 180_000);
    const resumed = second.events().some((e) => e.type === 'log' && /^resuming: copy after/.test(String(e.message)));
    assert.ok(resumed, `the second run resumed from the checkpoint: ${second.stderr()}`);
    await workload.waitForOps(workload.stats.ops + 60);
    const stats = await workload.stop();
    await snapshotExpected(c.database, c.alter, c.sessionSql);
    await pool.query('DROP TABLE `_sluice_sentinel`');
    const done = await second.exited;
    assert.equal(done.code, 0, `the second run completes: ${second.stderr()}`);
    const comparison = await compareTables(pool, c.database, 't', 'expected_t');
    assert.ok(comparison.expectedRows > 0, 'the expected table is not empty');
    assert.ok(isIdentical(comparison), `t equals the server's own ALTER of the same rows:\n${describeComparison(comparison)}`);
    for (const k of ['inserted', 'updated', 'keysUpdated', 'deleted'] as const) assert.ok(stats[k] > 0, `the workload did ${k}: ${JSON.stringify(stats)}`);
    const keys = [first, second].map((r) => r.events().find((e) => e.type === 'key')!);
    assert.ok(keys.every(Boolean), 'both runs reported the key');
    return { keys, stats, savedKey };
  } finally {
    if (workload?.running) await workload.stop().catch(() => undefined);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
