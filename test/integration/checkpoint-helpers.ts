/**
 * Fixtures for the checkpoint scenarios (test/integration/checkpoint*.test.ts and
 * scripts/stress-resume.ts).
 *
 * The expectation is independent of Sluice: every table `t` has a twin `mirror` with the same
 * definition and rows; the workload applies each change to `t` and then the same change to
 * `mirror` (one connection, serially, so both see the same order). At the end the ALTER is applied
 * natively to `mirror` and the two tables must hold identical rows and columns.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import mysql, { type Pool, type PoolConnection, type RowDataPacket } from 'mysql2/promise';
import {
  checkpointTableName, createMigration, definePlugin, shadowTableName, sleep, CUTOVER_SENTINEL_TABLE,
  type ChunkDone, type ChunkInfo, type Migration, type SluiceOptions, type MigrationEvent, type MigrationResult, type PluginContext, type SluicePlugin,
} from '../../mod.ts';
import { checkpointPlugin, type CheckpointPluginOptions } from '../../plugins/checkpoint/index.ts';
import type { ServerInfo } from '../../scripts/sandbox.ts';
import { appPool, freshDatabase, testConnection } from '../support/db.ts';
import { seededRandom } from '../support/random.ts';

export const id = mysql.escapeId;
export const TABLE = 't';
export const MIRROR = 'mirror';
export const SHADOW = shadowTableName(TABLE);
export const CHECKPOINT = checkpointTableName(TABLE);
/** The change every scenario makes: a new column (shows whether the swap happened) and an index. */
export const SPEC = 'ADD COLUMN extra INT NOT NULL DEFAULT 7, ADD INDEX n_idx (n)';
export const STATEMENT = `ALTER TABLE ${TABLE} ${SPEC}`;

export type Rng = () => number;
export type TableKind = 'int' | 'bigint' | 'composite' | 'binary';

interface KindSpec {
  readonly pk: readonly string[];
  readonly keyDdl: string;
  key(k: number): unknown[];
}

const REGIONS = ['north', 'nörd', 'süd', '東京', 'west', 'é', 'ost🚀', 'zz'];
const BIG_BASE = 18_446_744_073_709_000_000n; // 2^64 - 551615: ids beyond 2^53, as strings

export const KINDS: Record<TableKind, KindSpec> = {
  int: { pk: ['id'], keyDdl: 'id INT UNSIGNED NOT NULL', key: (k) => [k] },
  bigint: { pk: ['id'], keyDdl: 'id BIGINT UNSIGNED NOT NULL', key: (k) => [(BIG_BASE + BigInt(k) * 7n).toString()] },
  composite: {
    pk: ['region', 'code'],
    keyDdl: 'region VARCHAR(16) NOT NULL, code VARCHAR(40) NOT NULL',
    key: (k) => [REGIONS[k % REGIONS.length], `c-${(k * 7919) % 100_003}-${k}${k % 3 === 0 ? '-ü' : ''}`],
  },
  binary: {
    pk: ['id'],
    keyDdl: 'id BINARY(16) NOT NULL',
    key: (k) => {
      const b = createHash('md5').update(`key ${k}`).digest();
      if (k % 5 === 0) b.fill(0, 12); // trailing zero bytes: the binlog row image strips them
      if (k % 7 === 0) b[0] = 0xff;
      return [b];
    },
  },
};

export interface Fixture {
  readonly db: string;
  /** The server (default: the test server). */
  readonly server?: ServerInfo;
  readonly kind: TableKind;
  readonly pool: Pool;
  readonly rows: number;
}

/** A fresh database with `t` and its twin `mirror`, both holding rows 1..rows of `kind`. */
export async function createFixture(db: string, kind: TableKind, rows: number, server?: ServerInfo): Promise<Fixture> {
  const pool = await freshDatabase(db, server);
  const spec = KINDS[kind];
  for (const name of [TABLE, MIRROR]) {
    await pool.query(
      `CREATE TABLE ${id(name)} (${spec.keyDdl}, v VARCHAR(64) NOT NULL, n INT NOT NULL, d DATETIME(6) NULL, ` +
      `PRIMARY KEY (${spec.pk.map((c) => id(c)).join(', ')})) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
    );
  }
  const rnd = seededRandom(rows);
  for (let start = 1; start <= rows; start += 2000) {
    const batch: unknown[][] = [];
    for (let k = start; k < Math.min(rows + 1, start + 2000); k++) batch.push([...spec.key(k), ...rowValues(k, rnd)]);
    await pool.query(`INSERT INTO ${id(TABLE)} ${columnsOf(kind)} VALUES ?`, [batch]);
  }
  await pool.query(`INSERT INTO ${id(MIRROR)} SELECT * FROM ${id(TABLE)}`);
  return { db, kind, pool, rows, server };
}

/** The column list of the fixture's own columns (the table may have more after the swap). */
function columnsOf(kind: TableKind): string {
  return `(${[...KINDS[kind].pk, 'v', 'n', 'd'].map((c) => id(c)).join(', ')})`;
}

function rowValues(k: number, rnd: Rng): unknown[] {
  const micros = String(Math.floor(rnd() * 1_000_000)).padStart(6, '0');
  const d = rnd() < 0.1 ? null : `2026-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)} 1${Math.floor(rnd() * 9)}:0${Math.floor(rnd() * 9)}:3${Math.floor(rnd() * 9)}.${micros}`;
  return [`v${k} ${Math.floor(rnd() * 1e9).toString(36)}${rnd() < 0.1 ? ' ☃' : ''}`, Math.floor(rnd() * 1_000_000), d];
}

/** `pk1 = ? AND pk2 = ?` and its values. */
function keyWhere(kind: TableKind, k: number): { sql: string; values: unknown[] } {
  const spec = KINDS[kind];
  return { sql: spec.pk.map((c) => `${id(c)} = ?`).join(' AND '), values: spec.key(k) };
}

const RETRYABLE = new Set([1205, 1213]);

/**
 * The application: random inserts (new keys and re-inserts of deleted ones), updates and deletes
 * on `t`, each then applied to `mirror`. One connection, serial, so both tables change in the same
 * order. A statement that fails on `t` with a deadlock or lock wait timeout changed nothing and is
 * not mirrored; any other failure stops the workload and is rethrown by stop().
 */
export class MirroredWorkload {
  ops = 0;
  #next: number;
  #conn: PoolConnection | undefined;
  #loop: Promise<void> | undefined;
  #stop = false;
  #failure: unknown;

  constructor(private readonly fx: Fixture, private readonly rnd: Rng) {
    this.#next = fx.rows + 1;
  }

  /** Highest key number handed out so far. */
  get maxKey(): number {
    return this.#next - 1;
  }

  async #connection(): Promise<PoolConnection> {
    this.#conn ??= await this.fx.pool.getConnection();
    return this.#conn;
  }

  /** Runs `count` random changes now. */
  async burst(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.step();
  }

  /** Runs changes in the background, one every `pauseMs` (0..pauseMs), until stop(). */
  start(pauseMs = 3): void {
    this.#stop = false;
    this.#loop = (async () => {
      try {
        while (!this.#stop) {
          await this.step();
          await new Promise((r) => setTimeout(r, Math.floor(this.rnd() * (pauseMs + 1))));
        }
      } catch (err) {
        this.#failure = err;
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
    this.#loop = undefined;
    if (this.#failure) throw this.#failure;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    this.#conn?.release();
    this.#conn = undefined;
  }

  async step(): Promise<void> {
    const r = this.rnd();
    const kind = this.fx.kind;
    const pick = () => 1 + Math.floor(this.rnd() * (this.#next - 1));
    if (r < 0.3) {
      const k = this.#next++;
      const row = [...KINDS[kind].key(k), ...rowValues(k, this.rnd)];
      await this.mirrored((tbl) => [`INSERT INTO ${id(tbl)} ${columnsOf(kind)} VALUES (?)`, [row]]);
    } else if (r < 0.4) {
      const k = pick();
      const row = [...KINDS[kind].key(k), ...rowValues(k, this.rnd)];
      await this.mirrored((tbl) => [`INSERT IGNORE INTO ${id(tbl)} ${columnsOf(kind)} VALUES (?)`, [row]]);
    } else if (r < 0.75) {
      const k = pick();
      const w = keyWhere(kind, k);
      const v = `u${Math.floor(this.rnd() * 1e9).toString(36)}`;
      await this.mirrored((tbl) => [`UPDATE ${id(tbl)} SET v = ?, n = n + 1 WHERE ${w.sql}`, [v, ...w.values]]);
    } else {
      await this.deleteKeys([pick()]);
    }
  }

  /** Deletes the rows of these key numbers from `t` and `mirror`. */
  async deleteKeys(keys: readonly number[]): Promise<void> {
    for (const k of keys) {
      const w = keyWhere(this.fx.kind, k);
      await this.mirrored((tbl) => [`DELETE FROM ${id(tbl)} WHERE ${w.sql}`, w.values]);
    }
  }

  /** Updates the rows of these key numbers in `t` and `mirror`. */
  async updateKeys(keys: readonly number[]): Promise<void> {
    for (const k of keys) {
      const w = keyWhere(this.fx.kind, k);
      await this.mirrored((tbl) => [`UPDATE ${id(tbl)} SET v = CONCAT('upd-', v), n = n - 1 WHERE ${w.sql}`, w.values]);
    }
  }

  /** `build` must be pure: it is called once for `t` and once for `mirror`. */
  private async mirrored(build: (table: string) => [string, unknown[]]): Promise<void> {
    const conn = await this.#connection();
    const [sql, values] = build(TABLE);
    try {
      await conn.query(sql, values);
    } catch (err) {
      if (RETRYABLE.has((err as { errno?: number }).errno ?? 0)) return;
      throw err;
    }
    const [msql, mvalues] = build(MIRROR);
    await conn.query(msql, mvalues);
    this.ops++;
  }
}

/** Key number of a stored key (inverse of KINDS[kind].key for the keys the fixture uses). */
export function keyNumberOf(kind: TableKind, row: Record<string, unknown>): number {
  if (kind === 'int') return Number(row.id);
  if (kind === 'bigint') return Number((BigInt(String(row.id)) - BIG_BASE) / 7n);
  if (kind === 'composite') return Number(String(row.code).split('-')[2]);
  throw new Error('binary keys are not numbered: look them up');
}

/** Applies the ALTER to `mirror` natively, then asserts `t` has the same columns, indexes and rows. */
export async function assertMatchesMirror(fx: Fixture, label = '', spec = SPEC): Promise<void> {
  const { pool, db, kind } = fx;
  await pool.query(`ALTER TABLE ${id(MIRROR)} ${spec}`);
  const shape = async (table: string) => {
    const [cols] = await pool.query<RowDataPacket[]>(
      `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, ORDINAL_POSITION, COLLATION_NAME
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [db, table]);
    const [idx] = await pool.query<RowDataPacket[]>(
      `SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [db, table]);
    return { cols, idx };
  };
  assert.deepEqual(await shape(TABLE), await shape(MIRROR), `${label}: t has the definition the ALTER gives the mirror`);
  const order = KINDS[kind].pk.map((c) => id(c)).join(', ');
  const [actual] = await pool.query<RowDataPacket[]>(`SELECT * FROM ${id(TABLE)} ORDER BY ${order}`);
  const [expected] = await pool.query<RowDataPacket[]>(`SELECT * FROM ${id(MIRROR)} ORDER BY ${order}`);
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (!isSameRow(actual[i], expected[i])) {
      assert.deepEqual({ ...actual[i] }, { ...expected[i] }, `${label}: row ${i} of ${actual.length} (expected ${expected.length}) differs`);
    }
  }
  assert.equal(actual.length, expected.length, `${label}: same row count`);
}

function isSameRow(a: RowDataPacket | undefined, b: RowDataPacket | undefined): boolean {
  if (!a || !b) return a === b;
  try {
    assert.deepEqual({ ...a }, { ...b });
    return true;
  } catch {
    return false;
  }
}

export interface TableState {
  shadow: boolean;
  checkpoint: boolean;
  row: Record<string, unknown> | null;
  /** `t` already has the new column: the swap happened. */
  swapped: boolean;
  sentinel: boolean;
}

export async function tableState(fx: Fixture): Promise<TableState> {
  const [tables] = await fx.pool.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [fx.db]);
  const names = new Set(tables.map((r) => String(r.name)));
  const [cols] = await fx.pool.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = 'extra'`, [fx.db, TABLE]);
  let row: Record<string, unknown> | null = null;
  if (names.has(CHECKPOINT)) {
    const [rows] = await fx.pool.query<RowDataPacket[]>(`SELECT * FROM ${id(CHECKPOINT)}`);
    row = rows[0] ? { ...rows[0] } : null;
  }
  return {
    shadow: names.has(SHADOW), checkpoint: names.has(CHECKPOINT), row,
    swapped: Number(cols[0]!.c) > 0, sentinel: names.has(CUTOVER_SENTINEL_TABLE),
  };
}

/** The checkpoint row and a checksum of the shadow table: to prove a refused resume touched nothing. */
export async function frozenState(fx: Fixture): Promise<{ row: Record<string, unknown> | null; shadowSum: unknown; shadowRows: number; tables: string[] }> {
  const st = await tableState(fx);
  assert.ok(st.shadow, 'the shadow table exists');
  const [[sum]] = await fx.pool.query<RowDataPacket[]>(`CHECKSUM TABLE ${id(SHADOW)} EXTENDED`) as unknown as [RowDataPacket[]];
  const [[count]] = await fx.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS c FROM ${id(SHADOW)}`) as unknown as [RowDataPacket[]];
  const [tables] = await fx.pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [fx.db]);
  return { row: st.row, shadowSum: sum!.Checksum, shadowRows: Number(count!.c), tables: tables.map((r) => String(r.n)) };
}

// ---- migrations ----

export interface Pacer {
  readonly plugin: SluicePlugin;
  /** Chunks finished in this run, in order. */
  readonly chunks: ChunkDone[];
  /** Chunks started in this run, in order. */
  readonly started: ChunkInfo[];
}

/**
 * A test plugin that slows the copy (sleeps after each chunk) and lets a test act at a chosen
 * chunk: `onChunk` after each finished chunk; `blockChunk` never finishes that chunk index (its
 * beforeChunk waits until the run is aborted).
 */
export function pacer(opts: { sleepMs?: number | (() => number); blockChunk?: number; onChunk?: (count: number, ctx: PluginContext, done: ChunkDone) => unknown } = {}): Pacer {
  const chunks: ChunkDone[] = [];
  const started: ChunkInfo[] = [];
  const plugin = definePlugin({
    name: 'test-pacer',
    async beforeChunk(ctx: PluginContext, chunk: ChunkInfo) {
      started.push(chunk);
      if (chunk.index === opts.blockChunk) await sleep(600_000, ctx.signal);
    },
    async afterChunk(ctx: PluginContext, done: ChunkDone) {
      chunks.push(done);
      await opts.onChunk?.(chunks.length, ctx, done);
      const ms = typeof opts.sleepMs === 'function' ? opts.sleepMs() : opts.sleepMs ?? 0;
      if (ms > 0) await sleep(ms, ctx.signal);
    },
  });
  return { plugin, chunks, started };
}

export interface RunSpec {
  statement?: string;
  checkpoint?: CheckpointPluginOptions;
  plugins?: SluicePlugin[];
  deferCutover?: boolean;
  threads?: number;
  targetChunkMs?: number;
  /** More options for createMigration (e.g. lockWaitTimeout, reconnectTimeout). */
  options?: Partial<SluiceOptions>;
}

export interface Outcome {
  result?: MigrationResult;
  error?: unknown;
  /** What disposing the migration threw (it must never throw). */
  disposeError?: unknown;
}

export interface Run {
  readonly migration: Migration;
  readonly events: MigrationEvent[];
  /** Settles once the run has settled and the migration is disposed; never rejects. */
  readonly done: Promise<Outcome>;
  warnings(): string[];
  infos(): string[];
}

export async function startRun(fx: Fixture, spec: RunSpec = {}): Promise<Run> {
  const migration = await createMigration({
    connection: testConnection(fx.db, fx.server),
    statement: spec.statement ?? STATEMENT,
    tryNative: false,
    threads: spec.threads ?? 2,
    targetChunkMs: spec.targetChunkMs ?? 5,
    progressIntervalMs: 40,
    deferCutover: spec.deferCutover ?? false,
    plugins: [checkpointPlugin({ interval: 100, ...spec.checkpoint }), ...(spec.plugins ?? [])],
    ...spec.options,
  });
  const events: MigrationEvent[] = [];
  migration.on((e) => events.push(e));
  const done = migration.run().then(
    (result): Outcome => ({ result }),
    (error: unknown): Outcome => ({ error }),
  ).then(async (outcome) => {
    try {
      await migration[Symbol.asyncDispose]();
    } catch (err) {
      outcome.disposeError = err;
    }
    return outcome;
  });
  const logs = (level: string) => events.flatMap((e) => (e.type === 'log' && e.level === level ? [e.message] : []));
  return { migration, events, done, warnings: () => logs('warn'), infos: () => logs('info') };
}

/** Runs a migration to its end and returns its result (throws its error). */
export async function runToEnd(fx: Fixture, spec: RunSpec = {}): Promise<{ result: MigrationResult; run: Run }> {
  const run = await startRun(fx, spec);
  const outcome = await run.done;
  if (outcome.error) throw outcome.error;
  if (outcome.disposeError) throw outcome.disposeError;
  return { result: outcome.result!, run };
}

/** Waits until `cond` holds (polling), or fails after `ms`. */
export async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The saved low watermark, as the row's JSON (Buffers as {$hex}). */
export function savedWatermark(row: Record<string, unknown> | null): unknown {
  return row ? JSON.parse(String(row.low_watermark)) : undefined;
}

/** A key tuple in the checkpoint's JSON form, to compare with savedWatermark(). */
export function asSaved(key: readonly unknown[] | null | undefined): unknown {
  if (!key) return key;
  return key.map((v) => (Buffer.isBuffer(v) ? { $hex: v.toString('hex') } : v));
}

/**
 * Runs a migration on the fixture and cancels it once `chunks` chunks are copied and the
 * checkpoint row holds a watermark. Returns the state left behind.
 */
export async function interruptedCopy(fx: Fixture, opts: { chunks?: number; spec?: RunSpec; blockChunk?: number } = {}): Promise<{ run: Run; pacer: Pacer }> {
  const app = appPool(fx.db, 1);
  let run: Run | undefined;
  let asked = false;
  let saved: Promise<void> | undefined;
  const p = pacer({
    sleepMs: 15,
    blockChunk: opts.blockChunk,
    onChunk: async (count) => {
      if (count < (opts.chunks ?? 4)) return;
      // Every worker waits here (so the copy cannot end) until a checkpoint with a watermark is saved.
      saved ??= waitUntil('a checkpoint holding a watermark', async () => {
        const [rows] = await app.query<RowDataPacket[]>(`SELECT low_watermark FROM ${id(CHECKPOINT)}`);
        return Boolean(rows[0]) && rows[0]!.low_watermark !== 'null';
      });
      await saved;
      if (!asked) {
        asked = true;
        run!.migration.cancel('the test interrupts the copy');
      }
    },
  });
  try {
    run = await startRun(fx, { ...opts.spec, plugins: [...(opts.spec?.plugins ?? []), p.plugin] });
    const outcome = await run.done;
    assert.ok(asked, `the copy was interrupted (outcome: ${outcome.error ?? 'completed'})`);
    assert.equal((outcome.error as Error | undefined)?.name, 'MigrationCancelledError', `cancelled, not failed: ${String(outcome.error)}`);
    assert.equal(outcome.disposeError, undefined, 'dispose never throws');
  } finally {
    await app.end();
  }
  return { run, pacer: p };
}

export { sleep };
