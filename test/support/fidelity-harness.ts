/**
 * Runs one data-fidelity case end to end against the real server:
 *  1. a fresh database with table `t`, seeded with generated rows;
 *  2. a concurrent workload (test/support/workload.ts) writing to `t` through a plain pool;
 *  3. `createMigration` with `tryNative: false` and a test plugin that slows each chunk (so the
 *     copy overlaps the workload), notes the workload's progress at copy start and end, and in
 *     `beforeCutover` lets the workload run on during replay, stops it, then snapshots the now
 *     quiescent source into `expected_t` and applies the same ALTER to it natively, under the
 *     server's global sql_mode and time_zone (as the user's own session would run it);
 *  4. the migrated `t` compared with `expected_t` (test/support/compare.ts).
 */
import mysql, { type Connection, type Pool } from 'mysql2/promise';
import { createMigration, definePlugin, sleep, type SluicePlugin } from '../../mod.ts';
import type { MigrationResult } from '../../core/types.ts';
import type { MigrationOptions } from '../../core/options.ts';
import { testServer } from '../../scripts/sandbox.ts';
import { compareTables, describeComparison, isIdentical, type TableComparison } from './compare.ts';
import { appPool, deferIndexesFromEnv, testConnection } from './db.ts';
import { seedRows, Workload, type WorkloadOptions, type WorkloadStats, type WorkloadTable } from './workload.ts';

export interface FidelityCase {
  /** Database created (replaced) for this case and dropped afterwards. */
  database: string;
  /** `CREATE TABLE t (…)`: the source table, always named `t`. */
  create: string;
  /** What follows `ALTER TABLE t`, e.g. `MODIFY c BIGINT`. */
  alter: string;
  /** The workload's view of `t` (schema and table are filled in). */
  target: Omit<WorkloadTable, 'schema' | 'table'>;
  /** Rows to seed before the migration starts. */
  rows: number;
  seed?: number;
  /** Session statements for seeding, the workload and the snapshot copy (e.g. a permissive sql_mode). */
  sessionSql?: string[];
  /** Statements run once after seeding, before the migration (e.g. rows with hand-picked values). */
  setupSql?: string[];
  workload?: Partial<Pick<WorkloadOptions, 'workers' | 'mix' | 'pauseMs' | 'custom'>>;
  /** Delay before each chunk (default 60 ms) while the copy is younger than `copyMs`. */
  chunkDelayMs?: number;
  /** How long the chunk delays stretch the copy at least (default 3000 ms); later chunks run at full speed. */
  copyMs?: number;
  targetChunkMs?: number;
  /** The copy yields to the application's row locks (MigrationOptions.copyYields; default false). */
  copyYields?: boolean;
  /** MigrationOptions.deferIndexes (default: SLUICE_DEFER_INDEXES, else the engine's default). */
  deferIndexes?: boolean;
  threads?: number;
  /** Workload operations required after the copy finished, before it is stopped (default 60). */
  opsAfterCopy?: number;
  /**
   * Run the default checksum plugin (default false): it re-copies chunks that differ before
   * cutover, which would hide a copy or replay fault from this comparison.
   */
  checksum?: boolean;
  /** More plugins (after the harness's own), e.g. to trace a failure. */
  plugins?: SluicePlugin[];
  /** More migration options (e.g. the foreign-key ones). */
  options?: Partial<Pick<MigrationOptions, 'discardForeignKeys' | 'alterForeignKeysMethod' | 'rebuildChildMaxRows'>>;
}

export interface FidelityOutcome {
  result: MigrationResult;
  stats: WorkloadStats;
  opsAtCopyStart: number;
  opsAtCopyEnd: number;
  opsAtStop: number;
  chunks: number;
  replayedEvents: number;
  comparison: TableComparison;
  log: string[];
}

const EXPECTED = 'expected_t';

async function dedicatedConnection(database: string): Promise<Connection> {
  const s = testServer();
  return mysql.createConnection({
    host: s.host, port: s.port, user: s.user, password: s.password, database,
    supportBigNumbers: true, bigNumberStrings: true, dateStrings: true,
  });
}

/** `expected_t` := the source's rows (generated columns left to the server), then the ALTER, natively. */
export async function snapshotExpected(database: string, alter: string, sessionSql: string[] = []): Promise<void> {
  const conn = await dedicatedConnection(database);
  try {
    for (const s of sessionSql) await conn.query(s);
    await conn.query(`SET SESSION time_zone = '+00:00'`);
    const [cols] = await conn.query<mysql.RowDataPacket[]>(
      `SELECT COLUMN_NAME AS n FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't' AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION`,
      [database],
    );
    const list = cols.map((c) => mysql.escapeId(String(c.n))).join(', ');
    await conn.query(`DROP TABLE IF EXISTS ${EXPECTED}`);
    await conn.query(`CREATE TABLE ${EXPECTED} LIKE t`);
    await conn.query(`INSERT INTO ${EXPECTED} (${list}) SELECT ${list} FROM t`);
    // The ALTER as the user's own session runs it: the server's global sql_mode and time_zone.
    await conn.query('SET SESSION sql_mode = @@GLOBAL.sql_mode, time_zone = @@GLOBAL.time_zone');
    await conn.query(`ALTER TABLE ${EXPECTED} ${alter}`);
  } finally {
    await conn.end();
  }
}

/** Creates (replacing) the database and `t`, seeds it; returns a plain pool on it. */
export async function prepareSource(c: Pick<FidelityCase, 'database' | 'create' | 'target' | 'rows' | 'seed' | 'sessionSql' | 'setupSql'>, poolSize = 6): Promise<Pool> {
  const admin = await dedicatedConnection('');
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(c.database)}`);
    await admin.query(`CREATE DATABASE ${mysql.escapeId(c.database)}`);
  } finally {
    await admin.end();
  }
  const conn = await dedicatedConnection(c.database);
  try {
    for (const s of c.sessionSql ?? []) await conn.query(s);
    await conn.query(c.create);
  } finally {
    await conn.end();
  }
  const pool = appPool(c.database, poolSize);
  const target: WorkloadTable = { schema: c.database, table: 't', ...c.target };
  await seedRows(pool, target, c.rows, c.seed ?? 1, c.sessionSql ?? []);
  if (c.setupSql?.length) {
    const setup = await dedicatedConnection(c.database);
    try {
      for (const s of c.sessionSql ?? []) await setup.query(s);
      for (const s of c.setupSql) await setup.query(s);
    } finally {
      await setup.end();
    }
  }
  return pool;
}

/** Rows of the (migrated) `t` matching `where`: for tests to show their edge values really were there. */
export async function countRows(database: string, where: string): Promise<number> {
  const conn = await dedicatedConnection(database);
  try {
    await conn.query(`SET SESSION time_zone = '+00:00'`);
    const [[row]] = await conn.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM t WHERE ${where}`);
    return Number(row!.n);
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(database: string): Promise<void> {
  if (process.env.SLUICE_KEEP_TEST_DB) return;
  const admin = await dedicatedConnection('');
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`);
  } finally {
    await admin.end();
  }
}

export async function runFidelityCase(c: FidelityCase): Promise<FidelityOutcome> {
  const workers = c.workload?.workers ?? 3;
  const setupAt = Date.now();
  const pool = await prepareSource(c, workers + 2);
  const log: string[] = [];
  let workload: Workload | undefined;
  try {
    workload = await Workload.start({
      pool, target: { schema: c.database, table: 't', ...c.target }, seed: c.seed ?? 1,
      sessionSql: c.sessionSql, workers, maxMs: 50_000, ...c.workload,
    });
    const w = workload;
    let opsAtCopyStart = -1;
    let opsAtCopyEnd = -1;
    let opsAtStop = -1;
    let chunks = 0;
    let copyStartedAt = 0;
    let replayedEvents = 0;
    let stats: WorkloadStats | undefined;
    const plugin = definePlugin({
      name: 'fidelity-harness',
      beforeCopy() {
        opsAtCopyStart = w.stats.ops;
        copyStartedAt = Date.now();
      },
      async beforeChunk(ctx) {
        chunks++;
        const left = (c.copyMs ?? 3000) - (Date.now() - copyStartedAt);
        if (left > 0) await sleep(Math.min(left, c.chunkDelayMs ?? 60), ctx.signal);
      },
      afterCopy() {
        opsAtCopyEnd = w.stats.ops;
      },
      async beforeCutover() {
        // Let the workload write on while only replay carries its changes, then stop it.
        await w.waitForOps(opsAtCopyEnd + (c.opsAfterCopy ?? 60));
        stats = await w.stop();
        opsAtStop = stats.ops;
        await snapshotExpected(c.database, c.alter, c.sessionSql);
      },
    });
    await using migration = await createMigration({
      connection: testConnection(c.database),
      statement: `ALTER TABLE t ${c.alter}`,
      tryNative: false,
      checksum: c.checksum ?? false,
      threads: c.threads ?? 2,
      targetChunkMs: c.targetChunkMs ?? 5,
      copyYields: c.copyYields ?? false,
      ...deferIndexesFromEnv(),
      ...(c.deferIndexes === undefined ? {} : { deferIndexes: c.deferIndexes }),
      progressIntervalMs: 200,
      // Debugging a failure: SLUICE_KEEP_TEST_DB=1 keeps the database and the original table (_t_old).
      keepOldTable: Boolean(process.env.SLUICE_KEEP_TEST_DB),
      plugins: [plugin, ...(c.plugins ?? [])],
      ...c.options,
    });
    migration.on((event) => {
      if (event.type === 'log' && event.level !== 'debug') log.push(`${event.level}: ${event.message}`);
      if (event.type === 'progress') replayedEvents = Math.max(replayedEvents, event.snapshot.replayedEvents);
    });
    const started = Date.now();
    const result = await migration.run();
    const compared = Date.now();
    const comparison = await compareTables(pool, c.database, 't', EXPECTED);
    if (process.env.SLUICE_FIDELITY_TIMING) {
      console.log(`${c.database}: setup ${started - setupAt} ms, migration ${compared - started} ms (${chunks} chunks), compare ${Date.now() - compared} ms`);
    }
    return { result, stats: stats!, opsAtCopyStart, opsAtCopyEnd, opsAtStop, chunks, replayedEvents, comparison, log };
  } finally {
    if (workload?.running) await workload.stop().catch(() => undefined);
    await pool.end();
  }
}

/** Throws (with a readable account) unless the migration was faithful and the workload really overlapped copy and replay. */
export function checkOutcome(o: FidelityOutcome): void {
  const problems: string[] = [];
  if (o.result.mode !== 'copy') problems.push(`expected a copy migration, got ${o.result.mode}`);
  if (!(o.chunks >= 3)) problems.push(`the copy ran only ${o.chunks} chunk(s)`);
  if (!(o.opsAtCopyEnd > o.opsAtCopyStart)) problems.push(`no workload operation during the copy (${o.opsAtCopyStart} → ${o.opsAtCopyEnd})`);
  if (!(o.opsAtStop > o.opsAtCopyEnd)) problems.push(`no workload operation after the copy (${o.opsAtCopyEnd} → ${o.opsAtStop})`);
  const s = o.stats;
  for (const k of ['inserted', 'updated', 'keysUpdated', 'deleted', 'commits', 'rollbacks'] as const) {
    if (!(s[k] > 0)) problems.push(`the workload did no ${k}`);
  }
  if (!(o.replayedEvents > 0)) problems.push('replay received no row event');
  // With the checksum plugin on: it must have found nothing to repair (copy and replay were exact).
  const repaired = o.log.filter((l) => /mismatched chunk/.test(l));
  if (repaired.length) problems.push(`the checksum had to re-copy: ${repaired.join(' | ')}`);
  if (!isIdentical(o.comparison)) problems.push(`tables differ:\n${describeComparison(o.comparison)}`);
  if (o.comparison.expectedRows === 0) problems.push('the expected table is empty');
  if (problems.length) throw new Error(`${problems.join('\n')}\nworkload: ${JSON.stringify(s)}\nlog:\n${o.log.join('\n')}`);
}
