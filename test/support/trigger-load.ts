/**
 * The triggers tests' application: table `t (id PK, v, note)` with three AFTER triggers writing
 * one `audit` row per row change, tagged with the writer's `@tok`, and a BEFORE INSERT trigger
 * that sets `v2`. Each worker owns a disjoint id range and keeps its own log of the writes the
 * server acknowledged (one row each, by primary key), so:
 *  - the audit table must hold exactly one row per logged write (token, op, ids), and no row
 *    without a token (copy's or replay's own writes firing a trigger);
 *  - the final rows follow from the seed and the logs, applied in order to `expected_t`, a copy
 *    of the seed the server itself ALTERed (it carries the same BEFORE trigger under another name).
 */
import assert from 'node:assert/strict';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { seededRandom } from './random.ts';

/** 64 characters: the longest trigger name the server takes. */
export const LONG_TRIGGER = `trg_del_${'x'.repeat(56)}`;

export const SOURCE = 'CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL, v2 INT NULL, note VARCHAR(40) NOT NULL DEFAULT \'\') ENGINE=InnoDB';
export const AUDIT = 'CREATE TABLE audit (n BIGINT AUTO_INCREMENT PRIMARY KEY, tok VARCHAR(40) NULL, op CHAR(1) NOT NULL, id INT NULL, old_id INT NULL, v INT NULL, v2 INT NULL)';

export function triggerSql(table: string, suffix = ''): string[] {
  return [
    `CREATE TRIGGER trg_bi${suffix} BEFORE INSERT ON ${table} FOR EACH ROW SET NEW.v2 = NEW.v * 2`,
    `CREATE TRIGGER trg_ai${suffix} AFTER INSERT ON ${table} FOR EACH ROW INSERT INTO audit (tok, op, id, v, v2) VALUES (@tok, 'I', NEW.id, NEW.v, NEW.v2)`,
    `CREATE TRIGGER trg_au${suffix} AFTER UPDATE ON ${table} FOR EACH ROW BEGIN\n  INSERT INTO audit (tok, op, id, old_id, v) VALUES (@tok, 'U', NEW.id, OLD.id, NEW.v);\nEND`,
    `CREATE TRIGGER \`${suffix ? `trg_de${suffix}` : LONG_TRIGGER}\` AFTER DELETE ON ${table} FOR EACH ROW INSERT INTO audit (tok, op, old_id) VALUES (@tok, 'D', OLD.id)`,
  ];
}

export interface Write {
  tok: string;
  op: 'I' | 'U' | 'K' | 'D';
  id: number;
  /** The new id of a key update; the row's v after an insert or update. */
  to?: number;
  v?: number;
}

const RANGE = 1_000_000;
const SEED_PER_WORKER = 400;

export async function seed(pool: Pool, workers: number): Promise<void> {
  for (let w = 0; w < workers; w++) {
    const rows = Array.from({ length: SEED_PER_WORKER }, (_, i) => `(${w * RANGE + i * 2}, ${i}, 'seed')`);
    await pool.query(`INSERT INTO t (id, v, note) VALUES ${rows.join(',')}`);
  }
}

export class TriggerLoad {
  readonly logs: Write[][] = [];
  private stopped = false;
  private readonly runs: Promise<void>[] = [];
  failures = 0;

  constructor(private readonly pool: Pool, private readonly workers: number, private readonly seedNo: number) {}

  get writes(): number {
    return this.logs.reduce((n, l) => n + l.length, 0);
  }

  start(): void {
    for (let w = 0; w < this.workers; w++) {
      const log: Write[] = [];
      this.logs.push(log);
      this.runs.push(this.worker(w, log));
    }
  }

  async waitFor(writes: number, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.writes < writes) {
      if (Date.now() > until) throw new Error(`the load made only ${this.writes} of ${writes} writes`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.runs);
  }

  private async worker(w: number, log: Write[]): Promise<void> {
    const rng = seededRandom(this.seedNo * 100 + w);
    const live = Array.from({ length: SEED_PER_WORKER }, (_, i) => w * RANGE + i * 2);
    let next = w * RANGE + SEED_PER_WORKER * 2 + 1;
    const conn: PoolConnection = await this.pool.getConnection();
    try {
      for (let n = 0; !this.stopped; n++) {
        const tok = `w${w}-${n}`;
        const r = rng();
        const at = Math.floor(rng() * live.length);
        const id = live[at]!;
        const v = Math.floor(rng() * 1000);
        let write: Write;
        let sql: string;
        let args: unknown[];
        if (r < 0.35 || live.length < 10) {
          write = { tok, op: 'I', id: next++, v };
          sql = 'INSERT INTO t (id, v, note) VALUES (?, ?, ?)';
          args = [write.id, v, tok];
        } else if (r < 0.65) {
          write = { tok, op: 'U', id, v };
          sql = 'UPDATE t SET v = ?, note = ? WHERE id = ?';
          args = [v, tok, id];
        } else if (r < 0.8) {
          write = { tok, op: 'K', id, to: next++ };
          sql = 'UPDATE t SET id = ? WHERE id = ?';
          args = [write.to, id];
        } else {
          write = { tok, op: 'D', id };
          sql = 'DELETE FROM t WHERE id = ?';
          args = [id];
        }
        await conn.query('SET @tok = ?', [tok]);
        try {
          const [res] = await conn.query(sql, args);
          assert.equal((res as { affectedRows: number }).affectedRows, 1, `${tok}: ${sql} ${JSON.stringify(args)} changed no row`);
        } catch (err) {
          const errno = (err as { errno?: number }).errno;
          if (errno === 1205 || errno === 1213) { this.failures++; continue; } // rolled back: no write
          throw err;
        }
        log.push(write);
        if (write.op === 'I') live.push(write.id);
        else if (write.op === 'K') live[at] = write.to!;
        else if (write.op === 'D') live.splice(at, 1);
        await new Promise((r2) => setTimeout(r2, 1));
      }
    } finally {
      conn.release();
    }
  }
}

/** Every logged write has exactly its one audit row; nothing else is in `audit`. */
export async function checkAudit(pool: Pool, logs: readonly Write[][]): Promise<void> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT tok, op, id, old_id, v, v2 FROM audit ORDER BY n');
  const untagged = rows.filter((r) => r.tok === null);
  assert.equal(untagged.length, 0, `${untagged.length} audit row(s) without a token: a trigger fired for Sluice's own writes: ${JSON.stringify(untagged.slice(0, 3))}`);
  const byTok = new Map<string, RowDataPacket[]>();
  for (const r of rows) byTok.set(r.tok, [...(byTok.get(r.tok) ?? []), r]);
  const all = logs.flat();
  const missing: string[] = [];
  for (const w of all) {
    const got = byTok.get(w.tok) ?? [];
    if (got.length === 0) { missing.push(w.tok); continue; }
    assert.equal(got.length, 1, `${w.tok}: ${got.length} audit rows (a trigger fired twice)`);
    const a = got[0]!;
    const want = w.op === 'I' ? { op: 'I', id: w.id, old_id: null, v: w.v, v2: w.v! * 2 }
      : w.op === 'U' ? { op: 'U', id: w.id, old_id: w.id, v: w.v, v2: null }
        : w.op === 'K' ? { op: 'U', id: w.to, old_id: w.id, v2: null }
          : { op: 'D', id: null, old_id: w.id, v: null, v2: null };
    const seen = Object.fromEntries(Object.keys(want).map((k) => [k, a[k]]));
    assert.deepEqual(seen, want, `${w.tok}: audit row`);
  }
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} write(s) without an audit row (their trigger did not fire)`);
  assert.equal(rows.length, all.length, 'one audit row per write, no more');
}

/** `expected_t`: the seed (in `seed_t`), ALTERed by the server, then every worker's log applied in order. */
export async function buildExpected(pool: Pool, alter: string, logs: readonly Write[][]): Promise<void> {
  await pool.query('CREATE TABLE expected_t LIKE seed_t');
  await pool.query('INSERT INTO expected_t SELECT * FROM seed_t');
  await pool.query(`ALTER TABLE expected_t ${alter}`);
  await pool.query(triggerSql('expected_t', '_expected')[0]!);
  const conn = await pool.getConnection();
  try {
    for (const log of logs) {
      for (const w of log) {
        if (w.op === 'I') await conn.query('INSERT INTO expected_t (id, v, note) VALUES (?, ?, ?)', [w.id, w.v, w.tok]);
        else if (w.op === 'U') await conn.query('UPDATE expected_t SET v = ?, note = ? WHERE id = ?', [w.v, w.tok, w.id]);
        else if (w.op === 'K') await conn.query('UPDATE expected_t SET id = ? WHERE id = ?', [w.to, w.id]);
        else await conn.query('DELETE FROM expected_t WHERE id = ?', [w.id]);
      }
    }
  } finally {
    conn.release();
  }
}

/** The triggers of a table as information_schema shows them (what a move must keep). */
export async function triggersOf(pool: Pool, table: string): Promise<Record<string, unknown>[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event, ACTION_ORDER AS ord, ACTION_STATEMENT AS body, ' +
    'DEFINER AS definer, SQL_MODE AS sqlMode, COLLATION_CONNECTION AS coll FROM information_schema.TRIGGERS ' +
    'WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ? ORDER BY TRIGGER_NAME', [table]);
  return rows.map((r) => ({ ...r }));
}
