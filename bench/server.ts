/**
 * The benchmark's server: its own sandbox (port 3330 by default) with a buffer pool sized for the
 * tables it holds at once, plus what the report says about the machine, and the housekeeping
 * between runs (binlogs purged, dirty pages flushed) so one run does not pay for the previous one.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql, { type Pool } from 'mysql2/promise';
import { startSandbox, type ServerInfo } from '../scripts/sandbox.ts';

const MiB = 1024 * 1024;

/** Seed, working table and one copy of it fit, with room for pt-osc's and Sluice's extra tables. */
export function bufferPoolBytes(maxRows: number): number {
  const wanted = maxRows * 700;
  return Math.max(1024 * MiB, Math.ceil(wanted / (256 * MiB)) * 256 * MiB);
}

export async function startBenchServer(port: number, maxRows: number): Promise<ServerInfo> {
  const bytes = bufferPoolBytes(maxRows);
  const server = await startSandbox({ port, extraArgs: [`--innodb-buffer-pool-size=${bytes}`] });
  // A sandbox already running keeps its settings: resize the pool online when it is too small.
  await withPool(server, async (pool) => {
    const [[row]] = await pool.query('SELECT @@innodb_buffer_pool_size AS size') as unknown as [[{ size: string | number }]];
    if (Number(row!.size) < bytes) {
      await pool.query('SET GLOBAL innodb_buffer_pool_size = ?', [bytes]);
      for (let i = 0; i < 120; i++) {
        const [[st]] = await pool.query("SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'") as unknown as [[{ Value: string }]];
        if (!st || st.Value === '' || /completed/i.test(st.Value)) break;
        await sleep(500);
      }
    }
  });
  return server;
}

export function adminPool(server: ServerInfo, connectionLimit = 4): Pool {
  return mysql.createPool({
    ...server, connectionLimit, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z',
  });
}

export async function withPool<T>(server: ServerInfo, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = adminPool(server);
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  server: string;
  bufferPoolMiB: number;
  node: string;
}

export async function machineInfo(pool: Pool): Promise<MachineInfo> {
  const [[row]] = await pool.query('SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp') as unknown as [[{ v: string; bp: string }]];
  let nproc = cpus().length;
  try {
    // nproc honours the CPU affinity mask; os.cpus() lists every CPU.
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(status);
    if (m) nproc = m[1]!.split(',').reduce((n, part) => {
      const [a, b] = part.split('-').map(Number);
      return n + (b === undefined ? 1 : b! - a! + 1);
    }, 0);
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpus: nproc,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    server: row!.v,
    bufferPoolMiB: Math.round(Number(row!.bp) / MiB),
    node: process.version,
  };
}

/** Rotates to a new binlog and drops the older ones (no migrator is reading them between runs). */
export async function purgeBinlogs(pool: Pool): Promise<void> {
  await pool.query('FLUSH BINARY LOGS');
  const [[status]] = await pool.query('SHOW MASTER STATUS') as unknown as [[{ File: string }]];
  if (status) await pool.query('PURGE BINARY LOGS TO ?', [status.File]);
}

async function statusValue(pool: Pool, name: string): Promise<number> {
  const [rows] = await pool.query('SHOW GLOBAL STATUS LIKE ?', [name]) as unknown as [Array<{ Value: string }>];
  return Number(rows[0]?.Value ?? 0);
}

/**
 * Flushes dirty pages before the next run (so it does not pay for the last one's writes):
 * innodb_max_dirty_pages_pct is set to 0 until few are left (or maxMs passed), then restored.
 */
export async function settle(pool: Pool, maxMs = 60_000): Promise<void> {
  const [[row]] = await pool.query('SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct') as unknown as [[{ pct: string }]];
  const before = Number(row!.pct);
  await pool.query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && (await statusValue(pool, 'Innodb_buffer_pool_pages_dirty')) > 200) await sleep(250);
  } finally {
    await pool.query('SET GLOBAL innodb_max_dirty_pages_pct = ?', [before]);
  }
}
