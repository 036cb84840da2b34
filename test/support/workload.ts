/**
 * A concurrent application workload for the fidelity tests, through a plain pool (no Sluice
 * session setup): single-row inserts, updates, primary-key updates and deletes in autocommit,
 * multi-row statements, multi-statement transactions that commit and ones that roll back.
 *
 * It is bounded (maxOps and maxMs) and stops on stop(). It records only what it needs to pick
 * targets (a list of keys it believes exist; a wrong guess just affects no row) and counters for
 * the tests to check that every kind of change really happened. The tests' expectations never
 * come from it: they are read from the source table itself.
 *
 * Duplicate keys (1062), deadlocks (1213) and lock wait timeouts (1205) are expected under
 * concurrency: the statement (or the whole transaction) is rolled back and counted. Any other
 * error stops the workload and is rethrown by stop().
 */
import mysql, { type Pool, type PoolConnection, type ResultSetHeader, type RowDataPacket, type SqlValue } from 'mysql2/promise';
import { seededRandom } from './random.ts';

export type Rng = () => number;
/** A value for `?` placeholders: a string, number, Buffer, null, or mysql.raw('SQL expression'). */
export type ValueGen = (rng: Rng) => unknown;
export type KeyTuple = unknown[];

export interface WorkloadTable {
  schema: string;
  table: string;
  /** Primary-key columns, in key order. */
  key: string[];
  /** A new key (it may collide with an existing one: the duplicate is tolerated). */
  newKey(rng: Rng): KeyTuple;
  /** Writable non-key columns (never generated ones) and how to make a value for each. */
  columns: Record<string, ValueGen>;
  /**
   * Integer key columns: key values (strings beyond 2^53) go into SQL as bare numeric literals, so
   * that comparisons stay exact (a quoted '18446744073709551614' is compared as a DOUBLE).
   */
  integerKey?: boolean;
}

export type OpKind = 'insert' | 'update' | 'keyUpdate' | 'delete' | 'multiInsert' | 'multiUpdate' | 'commitTx' | 'rollbackTx' | 'custom';

/** A test-specific operation: `pickKey` returns a key the workload believes exists. Counted as `custom`. */
export type CustomOp = (conn: PoolConnection, rng: Rng, pickKey: () => KeyTuple | undefined) => Promise<void>;

export interface WorkloadOptions {
  pool: Pool;
  target: WorkloadTable;
  seed: number;
  /** Concurrent connections (default 3). */
  workers?: number;
  /** Stop after this many operations in all (default 100000). */
  maxOps?: number;
  /** Stop after this long (default 60 s). */
  maxMs?: number;
  /** Pause between two operations of one worker (default 1 ms). */
  pauseMs?: number;
  /** Run once on each worker connection (e.g. a permissive sql_mode). */
  sessionSql?: string[];
  /** Relative weights of the operations. */
  mix?: Partial<Record<OpKind, number>>;
  /** Run with weight `mix.custom` (default 10 when given). */
  custom?: CustomOp;
}

export interface WorkloadStats {
  ops: number;
  /** Row changes the server acknowledged, by kind (rows affected). */
  inserted: number;
  updated: number;
  keysUpdated: number;
  deleted: number;
  commits: number;
  rollbacks: number;
  /** Custom operations completed. */
  custom: number;
  /** Statements or transactions abandoned on a duplicate key, deadlock or lock wait timeout. */
  conflicts: number;
  /** Of those: deadlocks (1213) and lock wait timeouts (1205) the application saw. */
  deadlocks: number;
  lockWaits: number;
}

const DEFAULT_MIX: Record<OpKind, number> = {
  insert: 25, update: 25, keyUpdate: 8, delete: 12, multiInsert: 5, multiUpdate: 5, commitTx: 12, rollbackTx: 8, custom: 0,
};
const TOLERATED = new Set([1062, 1213, 1205]);

function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

const id = (name: string) => mysql.escapeId(name);
/** mysql.format over test-generated values (strings, numbers, Buffers, null, mysql.raw, arrays of them). */
const fmt = (text: string, values: unknown[]): string => mysql.format(text, values as SqlValue[]);

export class Workload {
  readonly #opts: Required<Omit<WorkloadOptions, 'mix' | 'sessionSql' | 'custom'>> & { mix: Record<OpKind, number>; sessionSql: string[]; custom?: CustomOp };
  readonly #ref: string;
  readonly #known: KeyTuple[];
  readonly #stats: WorkloadStats = { ops: 0, inserted: 0, updated: 0, keysUpdated: 0, deleted: 0, commits: 0, rollbacks: 0, custom: 0, conflicts: 0, deadlocks: 0, lockWaits: 0 };
  readonly #startedAt = Date.now();
  #stopping = false;
  #failure: unknown;
  #workers: Promise<void>[] = [];
  #opWaiters: Array<{ ops: number; resolve(): void }> = [];

  private constructor(opts: WorkloadOptions, known: KeyTuple[]) {
    this.#opts = {
      workers: 3, maxOps: 100_000, maxMs: 60_000, pauseMs: 1, ...opts,
      mix: { ...DEFAULT_MIX, ...(opts.custom ? { custom: 10 } : {}), ...opts.mix }, sessionSql: opts.sessionSql ?? [],
    };
    this.#ref = `${id(opts.target.schema)}.${id(opts.target.table)}`;
    this.#known = known;
  }

  /** Reads the existing keys and starts the workers. */
  static async start(opts: WorkloadOptions): Promise<Workload> {
    const { target } = opts;
    const [rows] = await opts.pool.query<RowDataPacket[]>({
      sql: `SELECT ${target.key.map(id).join(', ')} FROM ${id(target.schema)}.${id(target.table)}`,
      rowsAsArray: true,
    });
    const w = new Workload(opts, (rows as unknown as unknown[][]).map((r) => [...r]));
    for (let i = 0; i < w.#opts.workers; i++) {
      const rng = seededRandom(opts.seed * 31 + i);
      w.#workers.push(w.#worker(rng));
    }
    return w;
  }

  get stats(): Readonly<WorkloadStats> {
    return { ...this.#stats };
  }

  get running(): boolean {
    return !this.#stopping && this.#failure === undefined;
  }

  /** Resolves once the workload has done `ops` operations in all (or has stopped). */
  waitForOps(ops: number): Promise<void> {
    if (this.#stats.ops >= ops || !this.running) return Promise.resolve();
    return new Promise((resolve) => this.#opWaiters.push({ ops, resolve }));
  }

  /** Stops the workers, waits for their last statement; rethrows a workload failure. */
  async stop(): Promise<WorkloadStats> {
    this.#stopping = true;
    await Promise.all(this.#workers);
    this.#wakeWaiters(true);
    if (this.#failure !== undefined) throw this.#failure;
    return this.stats;
  }

  // ---- workers ----

  async #worker(rng: Rng): Promise<void> {
    let conn: PoolConnection | undefined;
    try {
      conn = await this.#opts.pool.getConnection();
      for (const sql of this.#opts.sessionSql) await conn.query(sql);
      while (!this.#stopping && this.#stats.ops < this.#opts.maxOps && Date.now() - this.#startedAt < this.#opts.maxMs) {
        await this.#operation(conn, rng);
        this.#stats.ops++;
        this.#wakeWaiters(false);
        if (this.#opts.pauseMs > 0) await new Promise((r) => setTimeout(r, this.#opts.pauseMs));
      }
    } catch (err) {
      this.#failure ??= err;
    } finally {
      conn?.release();
      this.#stopping = true;
      this.#wakeWaiters(true);
    }
  }

  #wakeWaiters(all: boolean): void {
    this.#opWaiters = this.#opWaiters.filter((w) => {
      if (all || this.#stats.ops >= w.ops) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  #pick(rng: Rng): OpKind {
    const entries = Object.entries(this.#opts.mix) as Array<[OpKind, number]>;
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = rng() * total;
    for (const [kind, w] of entries) {
      r -= w;
      if (r < 0) return kind;
    }
    return entries[0]![0];
  }

  async #operation(conn: PoolConnection, rng: Rng): Promise<void> {
    const kind = this.#pick(rng);
    if (kind === 'commitTx' || kind === 'rollbackTx') {
      await this.#transaction(conn, rng, kind === 'commitTx');
      return;
    }
    if (kind === 'custom') {
      try {
        await this.#opts.custom!(conn, rng, () => this.#randomKnown(rng));
        this.#stats.custom++;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        this.#tolerate(err);
      }
      return;
    }
    try {
      await this.#statement(conn, rng, kind);
    } catch (err) {
      this.#tolerate(err);
    }
  }

  /** Counts an expected conflict; rethrows anything else. */
  #tolerate(err: unknown): void {
    const code = errno(err) ?? -1;
    if (!TOLERATED.has(code)) throw err;
    this.#stats.conflicts++;
    if (code === 1213) this.#stats.deadlocks++;
    if (code === 1205) this.#stats.lockWaits++;
  }

  async #transaction(conn: PoolConnection, rng: Rng, commit: boolean): Promise<void> {
    const kinds: OpKind[] = ['insert', 'update', 'keyUpdate', 'delete', 'multiUpdate'];
    const steps = 2 + Math.floor(rng() * 4);
    const pending: WorkloadStats = { ops: 0, inserted: 0, updated: 0, keysUpdated: 0, deleted: 0, commits: 0, rollbacks: 0, custom: 0, conflicts: 0, deadlocks: 0, lockWaits: 0 };
    await conn.query('START TRANSACTION');
    try {
      for (let i = 0; i < steps; i++) await this.#statement(conn, rng, kinds[Math.floor(rng() * kinds.length)]!, pending);
      if (commit) {
        await conn.query('COMMIT');
        this.#stats.commits++;
        for (const k of ['inserted', 'updated', 'keysUpdated', 'deleted'] as const) this.#stats[k] += pending[k];
      } else {
        await conn.query('ROLLBACK');
        this.#stats.rollbacks++;
      }
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      this.#tolerate(err);
    }
    // Keys a rolled-back transaction added stay in the list: a miss on them is harmless.
  }

  #randomKnown(rng: Rng): KeyTuple | undefined {
    if (this.#known.length === 0) return undefined;
    return this.#known[Math.floor(rng() * this.#known.length)];
  }

  #forget(key: KeyTuple): void {
    const at = this.#known.indexOf(key);
    if (at < 0) return;
    this.#known[at] = this.#known[this.#known.length - 1]!;
    this.#known.pop();
  }

  #where(rawKeys: KeyTuple[]): { sql: string; values: unknown[] } {
    const cols = this.#opts.target.key;
    const exact = (v: unknown) => (typeof v === 'string' && /^-?\d+$/.test(v) ? mysql.raw(v) : v);
    const keys = this.#opts.target.integerKey ? rawKeys.map((k) => k.map(exact)) : rawKeys;
    if (cols.length === 1) return { sql: `${id(cols[0]!)} IN (?)`, values: [keys.map((k) => k[0])] };
    return { sql: `(${cols.map(id).join(', ')}) IN (?)`, values: [keys] };
  }

  #someColumns(rng: Rng): string[] {
    const names = Object.keys(this.#opts.target.columns);
    const chosen = names.filter(() => rng() < 0.5);
    return chosen.length > 0 ? chosen : [names[Math.floor(rng() * names.length)]!];
  }

  #rowValues(rng: Rng): { cols: string[]; values: unknown[] } {
    const cols = Object.keys(this.#opts.target.columns);
    return { cols, values: cols.map((c) => this.#opts.target.columns[c]!(rng)) };
  }

  async #statement(conn: PoolConnection, rng: Rng, kind: OpKind, into: WorkloadStats = this.#stats): Promise<void> {
    const t = this.#opts.target;
    switch (kind) {
      case 'insert':
      case 'multiInsert': {
        const n = kind === 'insert' ? 1 : 2 + Math.floor(rng() * 3);
        const keys: KeyTuple[] = [];
        const rows: unknown[][] = [];
        let cols: string[] = [];
        for (let i = 0; i < n; i++) {
          const key = t.newKey(rng);
          const row = this.#rowValues(rng);
          cols = row.cols;
          keys.push(key);
          rows.push([...key, ...row.values]);
        }
        const [res] = await conn.query<ResultSetHeader>(
          fmt(`INSERT INTO ${this.#ref} (${[...t.key, ...cols].map(id).join(', ')}) VALUES ?`, [rows]),
        );
        into.inserted += res.affectedRows;
        this.#known.push(...keys);
        return;
      }
      case 'update': {
        const key = this.#randomKnown(rng);
        if (!key) return;
        const cols = this.#someColumns(rng);
        const where = this.#where([key]);
        const [res] = await conn.query<ResultSetHeader>(fmt(
          `UPDATE ${this.#ref} SET ${cols.map((c) => `${id(c)} = ?`).join(', ')} WHERE ${where.sql}`,
          [...cols.map((c) => t.columns[c]!(rng)), ...where.values],
        ));
        into.updated += res.affectedRows;
        return;
      }
      case 'multiUpdate': {
        const keys = [0, 1, 2].map(() => this.#randomKnown(rng)).filter((k): k is KeyTuple => k !== undefined);
        if (keys.length === 0) return;
        const col = this.#someColumns(rng)[0]!;
        const where = this.#where(keys);
        const [res] = await conn.query<ResultSetHeader>(fmt(
          `UPDATE ${this.#ref} SET ${id(col)} = ? WHERE ${where.sql}`, [t.columns[col]!(rng), ...where.values],
        ));
        into.updated += res.affectedRows;
        return;
      }
      case 'keyUpdate': {
        const key = this.#randomKnown(rng);
        if (!key) return;
        const next = t.newKey(rng);
        // Move the row to a new key; sometimes change only one key column, sometimes a value too.
        const cols = t.key.length > 1 && rng() < 0.5 ? [t.key[Math.floor(rng() * t.key.length)]!] : t.key;
        const values = cols.map((c) => next[t.key.indexOf(c)]);
        const also = rng() < 0.5 ? this.#someColumns(rng).slice(0, 1) : [];
        const where = this.#where([key]);
        const [res] = await conn.query<ResultSetHeader>(fmt(
          `UPDATE ${this.#ref} SET ${[...cols, ...also].map((c) => `${id(c)} = ?`).join(', ')} WHERE ${where.sql}`,
          [...values, ...also.map((c) => t.columns[c]!(rng)), ...where.values],
        ));
        into.keysUpdated += res.affectedRows;
        if (res.affectedRows > 0) {
          this.#forget(key);
          this.#known.push(t.key.map((c, i) => (cols.includes(c) ? next[i] : key[i])));
        }
        return;
      }
      case 'delete': {
        const keys = rng() < 0.7 ? [this.#randomKnown(rng)] : [this.#randomKnown(rng), this.#randomKnown(rng)];
        const present = keys.filter((k): k is KeyTuple => k !== undefined);
        if (present.length === 0) return;
        const where = this.#where(present);
        const [res] = await conn.query<ResultSetHeader>(fmt(`DELETE FROM ${this.#ref} WHERE ${where.sql}`, where.values));
        into.deleted += res.affectedRows;
        for (const k of present) this.#forget(k);
        return;
      }
      default:
        throw new Error(`workload: unknown operation ${kind}`);
    }
  }
}

/** Inserts `count` rows made by the table's generators (new keys; duplicates are skipped). */
export async function seedRows(pool: Pool, target: WorkloadTable, count: number, seed: number, sessionSql: string[] = [], batch = 250): Promise<number> {
  const rng = seededRandom(seed);
  const conn = await pool.getConnection();
  let inserted = 0;
  try {
    for (const sql of sessionSql) await conn.query(sql);
    const cols = [...target.key, ...Object.keys(target.columns)];
    for (let done = 0; done < count; done += batch) {
      const rows: unknown[][] = [];
      for (let i = 0; i < Math.min(batch, count - done); i++) {
        rows.push([...target.newKey(rng), ...Object.values(target.columns).map((g) => g(rng))]);
      }
      const [res] = await conn.query<ResultSetHeader>(
        fmt(`INSERT IGNORE INTO ${id(target.schema)}.${id(target.table)} (${cols.map(id).join(', ')}) VALUES ?`, [rows]),
      );
      inserted += res.affectedRows;
    }
  } finally {
    conn.release();
  }
  return inserted;
}

// ---- value generators ----

/** One of the given values, uniformly. */
export function oneOf(...values: unknown[]): ValueGen {
  return (rng) => values[Math.floor(rng() * values.length)];
}

/** NULL with probability p, else the generator's value. */
export function orNull(gen: ValueGen, p = 0.15): ValueGen {
  return (rng) => (rng() < p ? null : gen(rng));
}

/** An integer in [min, max] (safe integers). */
export function intIn(min: number, max: number): ValueGen {
  return (rng) => min + Math.floor(rng() * (max - min + 1));
}

/** Edge values most of the time, a generated value otherwise. */
export function edgesOr(edges: unknown[], gen: ValueGen, pEdge = 0.5): ValueGen {
  return (rng) => (rng() < pEdge ? edges[Math.floor(rng() * edges.length)] : gen(rng));
}

/** A raw SQL expression as a value (e.g. ST_GeomFromText(...)): only for test-owned literals. */
export function sql(expression: string): unknown {
  return mysql.raw(expression);
}
