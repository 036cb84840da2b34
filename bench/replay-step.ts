/**
 * Replay throughput, measured on its own: Sluice runs with --defer-cutover (progress every 100 ms)
 * and, once it waits for the cutover with the copy done, one UPDATE changes N rows of the source.
 * Timed from that UPDATE's commit until Sluice reports (a) it has received N more row events and
 * (b) replay has applied everything up to the binlog position read right after the commit. Then
 * the shadow is checked against the source, the sentinel dropped, and the run finishes.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql, { type Pool } from 'mysql2/promise';
import type { ServerInfo } from '../scripts/sandbox.ts';
import { compareBinlogPositions, currentBinlogPosition } from '../core/connection/connection.ts';
import { shadowTableName, CUTOVER_SENTINEL_TABLE } from '../core/table/names.ts';
import { commonColumns, digest, qualified, sameDigest, SCHEMA, TABLE } from './dataset.ts';
import { BenchToolError } from './errors.ts';
import { runMeasured } from './proc.ts';
import { SluiceEvents, sluiceCommand, type SluiceCli } from './sluice-cli.ts';

export interface ReplayRun {
  repeat: number;
  ok: boolean;
  error?: string;
  rows: number;
  /** How long the UPDATE itself took. */
  updateMs?: number;
  /** Commit -> Sluice has received the N row events. */
  receiveMs?: number;
  /** Commit -> replay applied everything up to the position after the commit. */
  catchUpMs?: number;
  /** rows / catchUp: row events applied per second. */
  eventsPerSec?: number;
  /** rows / receive: row events read and decoded per second. */
  receivedPerSec?: number;
  verified?: boolean;
}

export interface ReplayStepOptions {
  server: ServerInfo;
  pool: Pool;
  cli: SluiceCli;
  alter: string;
  rows: number;
  repeat: number;
  threads?: number;
  logFile: string;
  configFile: string;
  timeoutMs: number;
  cpuProfDir?: string;
  extra?: readonly string[];
}

async function sentinelExists(pool: Pool): Promise<boolean> {
  const [rows] = await pool.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [SCHEMA, CUTOVER_SENTINEL_TABLE]) as unknown as [unknown[]];
  return rows.length > 0;
}

/** Polls `check` every 50 ms until true; fails when `alive()` turns false or the deadline passes. */
async function until(what: string, check: () => boolean | Promise<boolean>, alive: () => boolean, deadline: number): Promise<number> {
  for (;;) {
    if (await check()) return Date.now();
    if (!alive()) throw new BenchToolError('sluice', `exited while the bench waited for ${what}`);
    if (Date.now() > deadline) throw new BenchToolError('sluice', `timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function measureReplay(o: ReplayStepOptions): Promise<ReplayRun> {
  writeFileSync(o.configFile, JSON.stringify({ progressIntervalMs: 100 }));
  const events = new SluiceEvents();
  const { args, env } = sluiceCommand(o.cli, {
    server: o.server, statement: `ALTER TABLE ${mysql.escapeId(TABLE)} ${o.alter}`, threads: o.threads, deferCutover: true, config: o.configFile,
    cpuProfDir: o.cpuProfDir, cpuProfName: `replay-r${o.repeat + 1}.cpuprofile`, extra: o.extra,
  });
  let exited = false;
  const proc = runMeasured(process.execPath, args, {
    env, logFile: o.logFile, timeoutMs: o.timeoutMs,
    onLine: (line) => { if (line.stream === 'stdout') events.feed(line.text, line.at); },
  }).finally(() => { exited = true; });
  const alive = () => !exited;
  const deadline = Date.now() + o.timeoutMs;
  const run: ReplayRun = { repeat: o.repeat, ok: false, rows: o.rows };
  try {
    await until('the deferred cutover', async () => events.phases.get('wait-for-cutover')?.start !== undefined && (await sentinelExists(o.pool)), alive, deadline);
    await until('a progress report', () => events.progress !== undefined, alive, deadline);
    const baseEvents = events.progress!.replayedEvents;
    const began = Date.now();
    await o.pool.query(`UPDATE ${qualified(TABLE)} SET quantity = quantity + 1, updated_at = updated_at + INTERVAL 1 SECOND ORDER BY id LIMIT ?`, [o.rows]);
    const committed = Date.now();
    run.updateMs = committed - began;
    const after = await currentBinlogPosition(o.pool);
    const received = await until(`${o.rows} row events`, () => (events.progress?.replayedEvents ?? 0) - baseEvents >= o.rows, alive, deadline);
    const applied = await until('replay to catch up', () => {
      const b = events.progress?.binlog;
      return !!b && compareBinlogPositions(b, after) >= 0;
    }, alive, deadline);
    run.receiveMs = received - committed;
    run.catchUpMs = applied - committed;
    run.receivedPerSec = Math.round(o.rows / (Math.max(1, run.receiveMs) / 1000));
    run.eventsPerSec = Math.round(o.rows / (Math.max(1, run.catchUpMs) / 1000));
    const shadow = shadowTableName(TABLE);
    const cols = await commonColumns(o.pool, TABLE, shadow);
    const [a, b] = await Promise.all([digest(o.pool, TABLE, cols), digest(o.pool, shadow, cols)]);
    run.verified = sameDigest(a, b);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
  } finally {
    await o.pool.query(`DROP TABLE IF EXISTS ${qualified(CUTOVER_SENTINEL_TABLE)}`).catch(() => {});
  }
  const r = await proc;
  if (!run.error && (r.code !== 0 || !events.done)) run.error = `sluice exited ${r.code ?? r.signal}: ${events.failed ?? 'see the raw log'}`;
  run.ok = !run.error && run.verified === true;
  if (!run.error && run.verified === false) run.error = 'the shadow table differs from the source after replay';
  return run;
}
