/**
 * The comparison: every tool on the same freshly reset table, idle then under the write load,
 * repeated with the tool order rotated each repeat; then the replay-throughput step.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'mysql2/promise';
import type { ServerInfo } from '../scripts/sandbox.ts';
import { BLOCKED_TOOLS, type BenchArgs, type Mode, type ToolName } from './args.ts';
import { startIdleBlocker } from './blocker.ts';
import { columnsOf, commonColumns, digest, resetTable, sameDigest, SEED, type Digest } from './dataset.ts';
import { startLoad } from './load-runner.ts';
import { summarize, within, type LoadSummary } from './load-stats.ts';
import { measureReplay, type ReplayRun } from './replay-step.ts';
import { purgeBinlogs, settle } from './server.ts';
import type { Tool, ToolRun } from './tool-types.ts';

/** Load samples due up to this long after a tool finished still count (pt-osc's post-swap failures). */
export const LOAD_TAIL_MS = 1000;
const LOAD_WARMUP_MS = 1000;

export interface ComparisonInput {
  args: BenchArgs;
  server: ServerInfo;
  pool: Pool;
  tools: Partial<Record<ToolName, Tool>>;
  rawDir: string;
  seedDigest: Digest;
  /** For the replay step (undefined: skipped). */
  replay?: Omit<Parameters<typeof measureReplay>[0], 'repeat' | 'logFile' | 'configFile' | 'server' | 'pool' | 'alter' | 'rows' | 'timeoutMs'>;
  log: (s: string) => void;
}

export interface ComparisonResult {
  runs: ToolRun[];
  replay: ReplayRun[];
  /** The load alone, with no migration running. */
  baseline?: LoadSummary;
}

/** The order of the tools in repeat r: rotated, so each tool takes each position in turn. */
export function orderFor(tools: readonly ToolName[], r: number): ToolName[] {
  const k = r % tools.length;
  return [...tools.slice(k), ...tools.slice(0, k)];
}

export function timeoutFor(rows: number): number {
  return 120_000 + Math.ceil(rows / 1000) * 400;
}

async function prepare(pool: Pool): Promise<void> {
  await resetTable(pool);
  await purgeBinlogs(pool);
  await settle(pool);
}

async function runOne(input: ComparisonInput, tool: ToolName, mode: Mode, repeat: number): Promise<ToolRun> {
  const { args, server, pool, rawDir } = input;
  const label = `${mode}-r${repeat + 1}-${tool}`;
  const run: ToolRun = { tool, mode, repeat, ok: false };
  await prepare(pool);
  const load = mode !== 'idle'
    ? await startLoad(server, args.loadRate, join(rawDir, `${label}.load.json`), join(rawDir, `${label}.load.log`))
    : undefined;
  const blocker = mode === 'blocked' ? await startIdleBlocker(server) : undefined;
  try {
    if (load) await sleep(LOAD_WARMUP_MS);
    const m = await input.tools[tool]!({ server, pool, alter: args.alter, logFile: join(rawDir, `${label}.log`), timeoutMs: timeoutFor(args.rows) });
    Object.assign(run, m, { ok: true });
    if (load) await sleep(LOAD_TAIL_MS);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
  } finally {
    if (blocker) run.blocker = await blocker.stop();
    if (load) {
      const samples = await load.stop();
      if (run.startedAt !== undefined && run.endedAt !== undefined) run.load = summarize(within(samples, run.startedAt, run.endedAt + LOAD_TAIL_MS));
    }
  }
  if (run.ok && mode === 'idle' && run.resultTable) {
    const cols = await commonColumns(pool, SEED, run.resultTable);
    const expected = cols.length === (await columnsOf(pool, SEED)).length ? input.seedDigest : await digest(pool, SEED, cols);
    run.verified = sameDigest(await digest(pool, run.resultTable, cols), expected);
  }
  const secs = run.endToEndMs !== undefined ? `${(run.endToEndMs / 1000).toFixed(2)} s` : 'failed';
  input.log(`${label}: ${secs}${run.copyMs !== undefined ? `, copy ${(run.copyMs / 1000).toFixed(2)} s` : ''}` +
    `${run.cutoverLockMs !== undefined ? `, lock ${run.cutoverLockMs} ms` : ''}${run.peakRssKb ? `, RSS ${Math.round(run.peakRssKb / 1024)} MB` : ''}` +
    `${run.load ? `, load p99 ${run.load.p99} ms, longest stall ${run.load.longestStallMs} ms, ${run.load.errors} errors (${run.load.deadlocks} deadlocks, ${run.load.lockWaits} lock waits)` : ''}` +
    `${run.blocker ? `, idle blocker ${run.blocker.killed ? `killed after ${(run.blocker.heldMs / 1000).toFixed(1)} s` : 'not killed'}` : ''}${run.verified === false ? ', RESULT DIFFERS FROM SEED' : ''}${run.error ? ` — ${run.error}` : ''}`);
  return run;
}

export async function runComparison(input: ComparisonInput): Promise<ComparisonResult> {
  const { args, pool, rawDir } = input;
  const result: ComparisonResult = { runs: [], replay: [] };
  for (const mode of args.modes) {
    if (mode === 'loaded') {
      await prepare(pool);
      input.log(`baseline: the load alone for 10 s at ${args.loadRate} ops/s…`);
      const load = await startLoad(input.server, args.loadRate, join(rawDir, 'baseline.load.json'), join(rawDir, 'baseline.load.log'));
      await sleep(10_000);
      result.baseline = summarize(await load.stop());
    }
    for (let r = 0; r < args.repeats; r++) {
      const tools = mode === 'blocked' ? args.tools.filter((t) => BLOCKED_TOOLS.includes(t)) : args.tools;
      for (const tool of orderFor(tools, r)) result.runs.push(await runOne(input, tool, mode, r));
    }
  }
  if (input.replay && args.replayRows > 0) {
    for (let r = 0; r < args.repeats; r++) {
      await prepare(pool);
      const run = await measureReplay({
        ...input.replay, server: input.server, pool, alter: args.alter, rows: args.replayRows, repeat: r,
        logFile: join(rawDir, `replay-r${r + 1}.log`), configFile: join(rawDir, 'replay-config.json'), timeoutMs: timeoutFor(args.rows),
      });
      input.log(`replay-r${r + 1}: ${run.ok ? `${args.replayRows} row events applied in ${run.catchUpMs} ms (${run.eventsPerSec}/s; received in ${run.receiveMs} ms)` : `failed — ${run.error}`}`);
      result.replay.push(run);
    }
  }
  return result;
}
