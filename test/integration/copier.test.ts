/**
 * The copier against the real server: every PK shape it chunks, resume, parallel workers, lossy
 * conversions, lock conflicts, abort, watermarks and rows inserted while it runs. Shadow contents
 * are always compared with a plain SELECT of the source.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type PoolConnection } from 'mysql2/promise';
import { openPool, DEFAULT_SESSION } from '../../core/connection/connection.ts';
import { MigrationCancelledError } from '../../core/errors.ts';
import { sleep } from '../../core/lifecycle/abort.ts';
import type { ColumnInfo, TableInfo } from '../../core/table/types.ts';
import type { ChunkDone, ChunkInfo, KeyTuple } from '../../core/types.ts';
import { Copier, type CopierOptions } from '../../core/copier/copier.ts';
import { LossyConversionError } from '../../core/copier/errors.ts';
import { copyStatement, planCopyStatement } from '../../core/copier/statement.ts';
import { boundaryQuery } from '../../core/copier/keyset-chunker.ts';
import { keyAbove, keyAtMost } from '../../core/copier/key-range.ts';
import { freshDatabase, testConnection } from '../support/db.ts';
import { seededRandom, baseSeed } from '../support/random.ts';

const DB = 'copier_it';
let app: Pool; // plain application pool: setup and independent reads
let pool: Pool; // Sluice-style pool the copier uses
const seed = baseSeed();

before(async () => {
  app = await freshDatabase(DB);
  pool = openPool(testConnection(DB), DEFAULT_SESSION, 8);
});

after(async () => {
  await pool?.end();
  await app?.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(DB)}`);
  await app?.end();
});

// ---------- helpers ----------

function col(name: string, dataType: string, unsigned = false): ColumnInfo {
  return { name, columnType: dataType, dataType, nullable: true, generated: false, charset: null, collation: null, unsigned };
}

function table(name: string, columns: [string, string, boolean?][], primaryKey: string[]): TableInfo {
  return {
    schema: DB, name, columns: columns.map(([n, t, u]) => col(n, t, u ?? false)), primaryKey,
    indexes: [], foreignKeys: [], triggers: [], engine: 'InnoDB', autoIncrement: null, rowsEstimate: 0,
  };
}

async function makeShadow(source: string, shadow = `_${source}_new`): Promise<string> {
  await app.query(`DROP TABLE IF EXISTS ${mysql.escapeId(shadow)}`);
  await app.query(`CREATE TABLE ${mysql.escapeId(shadow)} LIKE ${mysql.escapeId(source)}`);
  return shadow;
}

/** Rows of a table in PK order, Buffers as hex: an independent read of what is there. */
async function dump(name: string, orderBy: string, where = ''): Promise<unknown[]> {
  const [rows] = await app.query(`SELECT * FROM ${mysql.escapeId(name)} ${where} ORDER BY ${orderBy}`);
  return (rows as Record<string, unknown>[]).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v])),
  );
}

interface RunLog {
  dispatched: ChunkInfo[];
  done: ChunkDone[];
}

function copier(info: TableInfo, shadow: string, over: Partial<CopierOptions> = {}, log?: RunLog): Copier {
  const names = info.columns.map((c) => c.name);
  return new Copier({
    pool, source: info, shadow, mapping: { source: names, target: names },
    threads: 2, targetChunkMs: 500, startAfter: null, signal: new AbortController().signal,
    beforeChunk: async (c) => { log?.dispatched.push(c); },
    afterChunk: async (d) => { log?.done.push(d); },
    ...over,
  });
}

async function insertRows(name: string, rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 2000) {
    await app.query(`INSERT INTO ${mysql.escapeId(name)} VALUES ?`, [rows.slice(i, i + 2000)]);
  }
}

function bigOf(k: KeyTuple | null | 'done' | 'all'): bigint | null {
  return Array.isArray(k) ? BigInt(String(k[0])) : null;
}

// ---------- integer keys ----------

test('int PK with gaps over a multi-million span (and negatives, and a huge gap) is copied exactly without crawling', async () => {
  await app.query('CREATE TABLE sparse (id INT PRIMARY KEY, v VARCHAR(20))');
  const rnd = seededRandom(seed);
  const ids = new Set<number>([-1_000_000, -5, 2_000_000_000]);
  for (let i = 1; i <= 3000; i++) ids.add(i);
  while (ids.size < 4500) ids.add(3000 + Math.floor(rnd() * 3_000_000));
  await insertRows('sparse', [...ids].map((id) => [id, `v${id}`]));
  const shadow = await makeShadow('sparse');
  const log: RunLog = { dispatched: [], done: [] };
  const c = copier(table('sparse', [['id', 'int'], ['v', 'varchar']], ['id']), shadow, {}, log);
  assert.equal(c.comparableKeys, true);
  await c.run();
  assert.deepEqual(await dump(shadow, 'id'), await dump('sparse', 'id'), `seed ${seed}`);
  assert.equal(c.rowsCopied, ids.size);
  assert.equal(c.lowWatermark, 'done');
  assert.equal(c.highWatermark, 'all');
  // 1000-key chunks would take ~3000 over this span, and 2 million more to walk up to 2e9.
  assert.ok(log.done.length < 100, `${log.done.length} chunks for ${ids.size} rows (seed ${seed})`);
  const last = log.done.reduce((a, b) => (b.index > a.index ? b : a));
  assert.equal(last.upper, null, 'the last chunk is open-ended');
  assert.equal(log.done.filter((d) => d.upper === null).length, 1);
});

test('BIGINT UNSIGNED keys near 2^64-1 are chunked and compared exactly', async () => {
  await app.query('CREATE TABLE ubig (id BIGINT UNSIGNED PRIMARY KEY, v INT)');
  const max = 2n ** 64n - 1n;
  const keys: bigint[] = [0n, 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 63n + 1n];
  for (let i = 0n; i < 2500n; i++) keys.push(max - i);
  await insertRows('ubig', keys.map((k, i) => [k.toString(), i]));
  const shadow = await makeShadow('ubig');
  const checks: string[] = [];
  const c: Copier = copier(table('ubig', [['id', 'bigint', true], ['v', 'int']], ['id']), shadow, {
    threads: 1,
    afterChunk: async (d) => {
      // One worker: nothing else is dispatched until this returns, so highWatermark == this upper.
      if (d.upper === null) {
        assert.equal(c.highWatermark, 'all');
        assert.equal(c.isAboveHighWatermark([max.toString()]), false);
        return;
      }
      assert.deepEqual(c.highWatermark, d.upper);
      const u = BigInt(String(d.upper[0]));
      assert.equal(c.isAboveHighWatermark([u.toString()]), false);
      assert.equal(c.isAboveHighWatermark([(u + 1n).toString()]), true);
      assert.equal(c.isAboveHighWatermark([u + 1n]), true);
      checks.push(String(u));
    },
  });
  assert.equal(c.isAboveHighWatermark([max.toString()]), true, 'nothing dispatched yet');
  await c.run();
  assert.ok(checks.length >= 2, `only ${checks.length} bounded chunks`);
  assert.deepEqual(await dump(shadow, 'id'), await dump('ubig', 'id'));
  assert.equal(c.rowsCopied, keys.length);
  // An exact comparison at the very top of the range (doubles cannot tell these apart).
  const [rows] = await app.query(`SELECT CAST(id AS CHAR) AS s FROM ${mysql.escapeId(shadow)} ORDER BY id DESC LIMIT 2`);
  assert.deepEqual((rows as { s: string }[]).map((r) => r.s), [max.toString(), (max - 1n).toString()]);
});

// ---------- keyset ----------

test('composite (int, varchar) PK: expanded bounds give range scans on PRIMARY and an exact copy', async () => {
  await app.query('CREATE TABLE comp (a INT, b VARCHAR(32), v INT, PRIMARY KEY (a, b))');
  const rnd = seededRandom(seed + 1);
  const rows = new Map<string, unknown[]>();
  while (rows.size < 6000) {
    const a = Math.floor(rnd() * 30);
    const b = `k${Math.floor(rnd() * 1e6).toString(36)}`;
    rows.set(`${a}/${b}`, [a, b, rows.size]);
  }
  await insertRows('comp', [...rows.values()]);
  await app.query('ANALYZE TABLE comp');
  const shadow = await makeShadow('comp');
  const info = table('comp', [['a', 'int'], ['b', 'varchar'], ['v', 'int']], ['a', 'b']);
  const log: RunLog = { dispatched: [], done: [] };
  const c = copier(info, shadow, { targetChunkMs: 3 }, log);
  assert.equal(c.comparableKeys, false);
  assert.equal(c.isAboveHighWatermark([1, 'x']), false);
  await c.run();
  assert.deepEqual(await dump(shadow, 'a, b'), await dump('comp', 'a, b'), `seed ${seed + 1}`);
  assert.ok(log.done.length > 3, `${log.done.length} chunks`);

  const middle = log.done.find((d) => d.lower !== null && d.upper !== null && d.index > 1)!;
  const plan = planCopyStatement(info, shadow, { source: ['a', 'b', 'v'], target: ['a', 'b', 'v'] });
  const stmt = copyStatement(plan, middle);
  // Integer bounds are bound as DECIMAL (core/table/key.ts): never compared as a DOUBLE.
  assert.match(stmt.sql, /`a` > CAST\(\? AS DECIMAL\(65,0\)\) OR \(`a` = CAST\(\? AS DECIMAL\(65,0\)\) AND `b` > \?\)/);
  const [explained] = await app.query(`EXPLAIN ${stmt.sql}`, stmt.values);
  const scan = (explained as { table: string; type: string; key: string }[]).find((r) => r.table === 'comp')!;
  assert.equal(scan.type, 'range');
  assert.equal(scan.key, 'PRIMARY');
  const bound = boundaryQuery(info, ['a', 'b'], middle.lower, 500);
  const [explainedBound] = await app.query(`EXPLAIN ${bound.sql}`, bound.values);
  const boundScan = (explainedBound as { type: string; key: string }[])[0]!;
  assert.equal(boundScan.type, 'range');
  assert.equal(boundScan.key, 'PRIMARY');
});

test('expanded key comparisons agree with the server row-constructor comparison on a 3-column key', async () => {
  await app.query('CREATE TABLE tri (a INT, b INT, c INT, PRIMARY KEY (a, b, c))');
  const rows: number[][] = [];
  for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) for (let c = 0; c < 6; c++) rows.push([a, b, c]);
  await insertRows('tri', rows);
  const rnd = seededRandom(seed + 2);
  for (let i = 0; i < 40; i++) {
    const t = [0, 1, 2].map(() => Math.floor(rnd() * 7)); // 6 is beyond the data
    const above = keyAbove(['a', 'b', 'c'], t);
    const atMost = keyAtMost(['a', 'b', 'c'], t);
    const [[x]] = (await app.query(`SELECT COUNT(*) AS n FROM tri WHERE ${above.sql}`, above.values)) as unknown as [{ n: number }[]];
    const [[y]] = (await app.query('SELECT COUNT(*) AS n FROM tri WHERE (a, b, c) > (?, ?, ?)', t)) as unknown as [{ n: number }[]];
    const [[z]] = (await app.query(`SELECT COUNT(*) AS n FROM tri WHERE ${atMost.sql}`, atMost.values)) as unknown as [{ n: number }[]];
    assert.equal(Number(x!.n), Number(y!.n), `above ${t}`);
    assert.equal(Number(z!.n), rows.length - Number(y!.n), `at most ${t}`);
  }
});

test('VARCHAR PK in utf8mb4_general_ci: bounds follow the column collation, not binary order', async () => {
  await app.query('CREATE TABLE ci (k VARCHAR(40) COLLATE utf8mb4_general_ci PRIMARY KEY, v INT)');
  const rnd = seededRandom(seed + 3);
  const alphabet = ['a', 'B', 'c', 'D', 'é', 'F', 'g', 'Ö', 'z', 'Å', '_', ' x', '😀', 'ß'];
  const rows: unknown[][] = [];
  for (let i = 0; i < 5000; i++) {
    let k = '';
    const len = 1 + Math.floor(rnd() * 6);
    for (let j = 0; j < len; j++) k += alphabet[Math.floor(rnd() * alphabet.length)];
    rows.push([k, i]);
  }
  // Keys equal under the collation (case/accents) collapse: the source holds what it holds.
  for (let i = 0; i < rows.length; i += 1000) await app.query('INSERT IGNORE INTO ci VALUES ?', [rows.slice(i, i + 1000)]);
  const [[{ n: binDiffers }]] = (await app.query(
    `SELECT COUNT(*) AS n FROM (SELECT k, ROW_NUMBER() OVER (ORDER BY k) r1, ROW_NUMBER() OVER (ORDER BY k COLLATE utf8mb4_bin) r2 FROM ci) x WHERE r1 <> r2`,
  )) as unknown as [{ n: number }[]];
  assert.ok(Number(binDiffers) > 0, 'binary order must differ from the collation order for this test to mean anything');
  const shadow = await makeShadow('ci');
  const log: RunLog = { dispatched: [], done: [] };
  const c = copier(table('ci', [['k', 'varchar'], ['v', 'int']], ['k']), shadow, { targetChunkMs: 3, threads: 3 }, log);
  await c.run();
  assert.ok(log.done.length > 3);
  assert.deepEqual(await dump(shadow, 'k COLLATE utf8mb4_bin'), await dump('ci', 'k COLLATE utf8mb4_bin'), `seed ${seed + 3}`);
});

test('BINARY(16) PK with 0x00 and 0xFF bytes is copied exactly', async () => {
  await app.query('CREATE TABLE bin (k BINARY(16) PRIMARY KEY, v INT)');
  const rnd = seededRandom(seed + 4);
  const keys = new Map<string, Buffer>();
  const add = (b: Buffer) => keys.set(b.toString('hex').padEnd(32, '0'), b);
  add(Buffer.alloc(16, 0x00));
  add(Buffer.alloc(16, 0xff));
  add(Buffer.from([0x00])); // padded with 0x00 by the server: a duplicate of all-zero
  add(Buffer.concat([Buffer.alloc(15, 0xff), Buffer.from([0xfe])]));
  add(Buffer.concat([Buffer.alloc(15, 0x00), Buffer.from([0x01])]));
  add(Buffer.from([0xff, 0x00])); // trailing zero bytes
  while (keys.size < 4000) {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) b[i] = rnd() < 0.3 ? (rnd() < 0.5 ? 0 : 255) : Math.floor(rnd() * 256);
    add(b);
  }
  const rows = [...keys.values()].map((b, i) => [b, i]);
  for (let i = 0; i < rows.length; i += 1000) await app.query('INSERT IGNORE INTO bin VALUES ?', [rows.slice(i, i + 1000)]);
  const shadow = await makeShadow('bin');
  const log: RunLog = { dispatched: [], done: [] };
  const c = copier(table('bin', [['k', 'binary'], ['v', 'int']], ['k']), shadow, { targetChunkMs: 3 }, log);
  await c.run();
  assert.ok(log.done.length > 3);
  assert.ok(log.done.some((d) => Array.isArray(d.upper) && Buffer.isBuffer(d.upper[0])), 'bounds read back as Buffers');
  assert.deepEqual(await dump(shadow, 'k'), await dump('bin', 'k'), `seed ${seed + 4}`);
});

test('DATETIME(6) + BIGINT UNSIGNED composite PK: string bounds are passed back unchanged', async () => {
  await app.query('CREATE TABLE dtk (t DATETIME(6), n BIGINT UNSIGNED, v INT, PRIMARY KEY (t, n))');
  const rows: unknown[][] = [];
  const top = 2n ** 64n - 1n;
  for (let i = 0; i < 3000; i++) {
    const t = `2024-02-29 23:59:${String(i % 60).padStart(2, '0')}.${String((i * 7919) % 1_000_000).padStart(6, '0')}`;
    rows.push([t, (top - BigInt(i % 3)).toString(), i]);
  }
  for (let i = 0; i < rows.length; i += 1000) await app.query('INSERT IGNORE INTO dtk VALUES ?', [rows.slice(i, i + 1000)]);
  const shadow = await makeShadow('dtk');
  const log: RunLog = { dispatched: [], done: [] };
  const c = copier(table('dtk', [['t', 'datetime'], ['n', 'bigint', true], ['v', 'int']], ['t', 'n']), shadow, { targetChunkMs: 2 }, log);
  await c.run();
  assert.ok(log.done.length > 3);
  assert.deepEqual(await dump(shadow, 't, n'), await dump('dtk', 't, n'));
});

// ---------- resume ----------

test('startAfter copies only rows above it (integer and composite keys)', async () => {
  await app.query('CREATE TABLE res (id BIGINT PRIMARY KEY, v INT)');
  await app.query('INSERT INTO res SELECT seq, seq * 3 FROM seq_1_to_5000');
  const shadow = await makeShadow('res');
  const c = copier(table('res', [['id', 'bigint'], ['v', 'int']], ['id']), shadow, { startAfter: [2500] });
  assert.deepEqual(c.lowWatermark, [2500]);
  assert.equal(c.isAboveHighWatermark([2500]), false, 'rows up to startAfter were copied before');
  assert.equal(c.isAboveHighWatermark([2501]), true);
  await c.run();
  assert.deepEqual(await dump(shadow, 'id'), await dump('res', 'id', 'WHERE id > 2500'));
  assert.equal(c.rowsCopied, 2500);

  const compShadow = await makeShadow('comp', '_comp_resume');
  const [[mid]] = (await app.query('SELECT a, b FROM comp ORDER BY a, b LIMIT 1 OFFSET 2999')) as unknown as [{ a: number; b: string }[]];
  const info = table('comp', [['a', 'int'], ['b', 'varchar'], ['v', 'int']], ['a', 'b']);
  const c2 = copier(info, compShadow, { startAfter: [mid!.a, mid!.b], targetChunkMs: 5 });
  await c2.run();
  const expected = await dump('comp', 'a, b', mysql.format('WHERE (a, b) > (?, ?)', [mid!.a, mid!.b]));
  assert.equal(expected.length, 3000);
  assert.deepEqual(await dump(compShadow, 'a, b'), expected);
});

// ---------- parallel ----------

test('threads=1 and threads=4 give identical shadows equal to the source', async () => {
  await app.query(`CREATE TABLE par (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, s VARCHAR(30) NULL, d DECIMAL(20,6), t DATETIME(6), b BLOB NULL, j JSON NULL)`);
  await app.query(`INSERT INTO par (s, d, t, b, j)
    SELECT IF(seq % 7 = 0, NULL, CONCAT('s', seq, 'é')), seq / 7, '2020-01-01 00:00:00' + INTERVAL seq SECOND + INTERVAL seq MICROSECOND,
           IF(seq % 5 = 0, NULL, UNHEX(SHA2(seq, 256))), IF(seq % 3 = 0, NULL, JSON_OBJECT('n', seq))
    FROM seq_1_to_20000`);
  await app.query('DELETE FROM par WHERE id % 11 = 0 OR id BETWEEN 5000 AND 7000');
  const info = table('par', [['id', 'int', true], ['s', 'varchar'], ['d', 'decimal'], ['t', 'datetime'], ['b', 'blob'], ['j', 'longtext']], ['id']);
  const one = await makeShadow('par', '_par_one');
  const four = await makeShadow('par', '_par_four');
  const log1: RunLog = { dispatched: [], done: [] };
  const log4: RunLog = { dispatched: [], done: [] };
  await copier(info, one, { threads: 1, targetChunkMs: 5 }, log1).run();
  await copier(info, four, { threads: 4, targetChunkMs: 5 }, log4).run();
  assert.ok(log4.done.length > 4, `${log4.done.length} chunks`);
  const source = await dump('par', 'id');
  assert.deepEqual(await dump(one, 'id'), source);
  assert.deepEqual(await dump(four, 'id'), source);
});

// ---------- lossy conversion ----------

test('a narrower shadow column raises LossyConversionError naming the column, and keeps nothing of that chunk', async () => {
  await app.query('CREATE TABLE lossy (id INT PRIMARY KEY, small_v INT)');
  await app.query('INSERT INTO lossy SELECT seq, seq % 100 FROM seq_1_to_3000');
  await app.query('UPDATE lossy SET small_v = 300 WHERE id = 2200');
  await app.query('CREATE TABLE _lossy_new (id INT PRIMARY KEY, small_v TINYINT)');
  const c = copier(table('lossy', [['id', 'int'], ['small_v', 'int']], ['id']), '_lossy_new', { threads: 1 });
  await assert.rejects(c.run(), (err: unknown) => {
    assert.ok(err instanceof LossyConversionError, String(err));
    assert.equal(err.code, 'LOSSY_CONVERSION');
    assert.equal(err.column, 'small_v');
    assert.match(err.message, /_lossy_new\.small_v/);
    assert.match(err.message, /Out of range/i);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  const [[row]] = (await app.query('SELECT COUNT(*) AS n, SUM(small_v = 127) AS clipped, SUM(id = 2200) AS bad FROM _lossy_new')) as unknown as [{ n: number; clipped: string | null; bad: string | null }[]];
  assert.equal(Number(row!.clipped ?? 0), 0, 'the truncated value was kept');
  assert.equal(Number(row!.bad ?? 0), 0);
  assert.ok(Number(row!.n) < 3000);
  assert.ok(c.lowWatermark !== 'done');
});

test('a lossy warning hidden behind more duplicate-key warnings than SHOW WARNINGS lists is still fatal', async () => {
  await app.query('CREATE TABLE lossy2 (id INT PRIMARY KEY, small_v INT)');
  await app.query('INSERT INTO lossy2 SELECT seq, seq % 100 FROM seq_1_to_3000');
  await app.query('UPDATE lossy2 SET small_v = 1000 WHERE id = 2500');
  await app.query('CREATE TABLE _lossy2_new (id INT PRIMARY KEY, small_v TINYINT)');
  // A resumed run's overlap: rows already in the shadow table make 1062 warnings first.
  await app.query('INSERT INTO _lossy2_new SELECT id, small_v FROM lossy2 WHERE id <= 2400');
  const [[{ m }]] = (await app.query('SELECT @@max_error_count AS m')) as unknown as [{ m: number }[]];
  assert.ok(Number(m) < 400, 'the duplicates must outnumber what SHOW WARNINGS lists');
  const c = copier(table('lossy2', [['id', 'int'], ['small_v', 'int']], ['id']), '_lossy2_new', { threads: 1 });
  await assert.rejects(c.run(), (err: unknown) => {
    assert.ok(err instanceof LossyConversionError, String(err));
    assert.match(err.message, /max_error_count/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  const [[row]] = (await app.query('SELECT COUNT(*) AS n, SUM(id = 2500) AS bad FROM _lossy2_new')) as unknown as [{ n: number; bad: string }[]];
  assert.equal(Number(row!.bad), 0, 'the failing chunk was rolled back');
  assert.equal(Number(row!.n), 2400 + c.rowsCopied);
});

// ---------- lock conflicts ----------

test('a lock wait timeout is retried and the chunk then succeeds', async () => {
  await app.query('CREATE TABLE locked (id INT PRIMARY KEY, v INT)');
  await app.query('INSERT INTO locked SELECT seq, seq FROM seq_1_to_2000');
  const shadow = await makeShadow('locked');
  const shortWait = openPool(testConnection(DB), { ...DEFAULT_SESSION, innodbLockWaitTimeout: 1 }, 4);
  const holder = await app.getConnection();
  try {
    await holder.query('START TRANSACTION');
    await holder.query('SELECT * FROM locked WHERE id = 10 FOR UPDATE');
    const release = setTimeout(() => { holder.query('COMMIT').catch(() => undefined); }, 1700);
    const started = Date.now();
    try {
      await copier(table('locked', [['id', 'int'], ['v', 'int']], ['id']), shadow, { pool: shortWait, threads: 1 }).run();
    } finally {
      clearTimeout(release);
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1500, `finished in ${elapsed} ms: the first attempt should have waited for the lock`);
    assert.deepEqual(await dump(shadow, 'id'), await dump('locked', 'id'));
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    holder.release();
    await shortWait.end();
  }
});

// ---------- abort ----------

/** A pool whose connections count queries in flight and connections not yet released. */
function instrumented(inner: Pool) {
  const state = { inFlight: 0, held: 0, queries: 0 };
  const wrap = (conn: PoolConnection): PoolConnection =>
    new Proxy(conn, {
      get(target, prop, receiver) {
        if (prop === 'query') {
          return async (...args: unknown[]) => {
            state.inFlight++;
            state.queries++;
            try {
              return await (target.query as (...a: unknown[]) => Promise<unknown>)(...args);
            } finally {
              state.inFlight--;
            }
          };
        }
        if (prop === 'release') return () => { state.held--; target.release(); };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const fake = {
    getConnection: async () => {
      const c = await inner.getConnection();
      state.held++;
      return wrap(c);
    },
  } as unknown as Pool;
  return { pool: fake, state };
}

test('abort mid-run stops dispatching, lets in-flight chunks settle, and rejects with MigrationCancelledError', async () => {
  await app.query('CREATE TABLE abrt (id INT PRIMARY KEY, v VARCHAR(100))');
  await app.query(`INSERT INTO abrt SELECT seq, REPEAT('x', 90) FROM seq_1_to_40000`);
  const shadow = await makeShadow('abrt');
  const { pool: counted, state } = instrumented(pool);
  const ac = new AbortController();
  let dispatchedAfterAbort = 0;
  const c = copier(table('abrt', [['id', 'int'], ['v', 'varchar']], ['id']), shadow, {
    pool: counted, threads: 3, targetChunkMs: 5, signal: ac.signal,
    beforeChunk: async () => {
      if (ac.signal.aborted) dispatchedAfterAbort++;
      await sleep(5, ac.signal).catch(() => undefined); // keep chunks in flight across the abort
    },
    afterChunk: async (d) => {
      if (d.index === 4) ac.abort(new Error('test abort'));
    },
  });
  const started = Date.now();
  await assert.rejects(c.run(), (err: unknown) => {
    assert.ok(err instanceof MigrationCancelledError, String(err));
    assert.match(err.message, /test abort/);
    return true;
  });
  assert.equal(state.inFlight, 0, 'a query was still running when run() settled');
  assert.equal(state.held, 0, 'a pool connection was not released');
  assert.ok(Date.now() - started < 10_000);
  assert.ok(dispatchedAfterAbort <= 3, `${dispatchedAfterAbort} chunks dispatched after the abort`);
  assert.notEqual(c.lowWatermark, 'done');
  const [procs] = await app.query(
    `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%_abrt_new%' AND ID <> CONNECTION_ID()`,
  );
  assert.equal(Number((procs as { n: number }[])[0]!.n), 0, 'the server still runs a copier query');
  const [[{ n }]] = (await app.query(`SELECT COUNT(*) AS n FROM ${mysql.escapeId(shadow)}`)) as unknown as [{ n: number }[]];
  assert.ok(Number(n) < 40000 && Number(n) === c.rowsCopied, `shadow ${n} rows, rowsCopied ${c.rowsCopied}`);
});

test('abort while beforeChunk waits (a throttler) rejects promptly', async () => {
  const shadow = await makeShadow('abrt', '_abrt_throttled');
  const ac = new AbortController();
  const c = copier(table('abrt', [['id', 'int'], ['v', 'varchar']], ['id']), shadow, {
    threads: 2, signal: ac.signal,
    beforeChunk: (chunk) => (chunk.index >= 1 ? sleep(60_000, ac.signal) : Promise.resolve()),
  });
  const run = c.run();
  await sleep(300, new AbortController().signal);
  const t0 = Date.now();
  ac.abort('operator cancelled');
  await assert.rejects(run, MigrationCancelledError);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  assert.notEqual(c.lowWatermark, 'done');
  // Aborted before run(): rejects at once, nothing copied.
  const pre = new AbortController();
  pre.abort();
  const c2 = copier(table('abrt', [['id', 'int'], ['v', 'varchar']], ['id']), shadow, { signal: pre.signal });
  await assert.rejects(c2.run(), MigrationCancelledError);
});

test('a failing afterChunk hook stops every worker and run() rejects with its error once they settle', async () => {
  const shadow = await makeShadow('abrt', '_abrt_hookfail');
  const { pool: counted, state } = instrumented(pool);
  const boom = new Error('checkpoint write failed');
  const c = copier(table('abrt', [['id', 'int'], ['v', 'varchar']], ['id']), shadow, {
    pool: counted, threads: 3, targetChunkMs: 5,
    afterChunk: async (d) => { if (d.index === 2) throw boom; },
  });
  await assert.rejects(c.run(), (err: unknown) => err === boom);
  assert.equal(state.inFlight, 0);
  assert.equal(state.held, 0);
  assert.notEqual(c.lowWatermark, 'done');
  await assert.rejects(c.run(), /called twice/);
});

// ---------- watermarks ----------

test('the low watermark is monotonic and never passes an unfinished chunk while chunks finish out of order', async () => {
  await app.query('CREATE TABLE wm (id INT PRIMARY KEY, v INT)');
  await app.query('INSERT INTO wm SELECT seq, seq FROM seq_1_to_20000');
  const shadow = await makeShadow('wm');
  const rnd = seededRandom(seed + 5);
  const inFlight = new Map<number, ChunkInfo>();
  const finishOrder: number[] = [];
  const samples: (bigint | null | 'done')[] = [];
  let c: Copier | undefined;
  const check = () => {
    const lw = c!.lowWatermark;
    const v = lw === 'done' ? 'done' : bigOf(lw);
    samples.push(v);
    for (const chunk of inFlight.values()) {
      assert.notEqual(lw, 'done');
      if (chunk.lower === null) assert.equal(lw, null, 'watermark set while the first chunk is unfinished');
      else if (v !== null && v !== 'done') assert.ok(v <= bigOf(chunk.lower)!, `watermark ${v} passes unfinished chunk ${chunk.index} (seed ${seed + 5})`);
    }
  };
  c = copier(table('wm', [['id', 'int'], ['v', 'int']], ['id']), shadow, {
    threads: 4, targetChunkMs: 4,
    beforeChunk: async (chunk) => {
      inFlight.set(chunk.index, chunk);
      check();
      await sleep(Math.floor(rnd() * 15), new AbortController().signal);
    },
    afterChunk: async (d) => {
      inFlight.delete(d.index);
      finishOrder.push(d.index);
      check();
    },
  });
  const poller = setInterval(check, 1);
  try {
    await c.run();
  } finally {
    clearInterval(poller);
  }
  check();
  assert.equal(c.lowWatermark, 'done');
  assert.ok(finishOrder.some((idx, i) => i > 0 && idx < finishOrder[i - 1]!), `chunks never finished out of order (seed ${seed + 5})`);
  let prev: bigint | null = null;
  for (const s of samples) {
    if (s === 'done') { prev = 2n ** 64n; continue; }
    if (s === null) { assert.equal(prev, null, 'watermark went back to null'); continue; }
    if (prev !== null) assert.ok(s >= prev, `watermark went back from ${prev} to ${s}`);
    prev = s;
  }
  assert.deepEqual(await dump(shadow, 'id'), await dump('wm', 'id'));
});

// ---------- concurrent inserts ----------

test('rows inserted while copying, beyond the start MAX and below MIN, are copied (integer and keyset chunkers)', async () => {
  await app.query('CREATE TABLE grow (id BIGINT PRIMARY KEY, v INT)');
  await app.query('INSERT INTO grow SELECT seq, seq FROM seq_100_to_3000');
  const shadow = await makeShadow('grow');
  let inserted = false;
  const c = copier(table('grow', [['id', 'bigint'], ['v', 'int']], ['id']), shadow, {
    threads: 1,
    beforeChunk: async (chunk) => {
      if (chunk.index === 0 && !inserted) {
        inserted = true; // MIN/MAX were read when chunk 0 was dispatched; it is not copied yet
        await app.query('INSERT INTO grow VALUES (5000, 1), (60000, 2), (9000000000, 3), (-7, 4)');
      }
    },
  });
  await c.run();
  assert.ok(inserted);
  const source = await dump('grow', 'id');
  assert.equal(source.length, 2901 + 4);
  assert.deepEqual(await dump(shadow, 'id'), source);

  await app.query('CREATE TABLE growk (a INT, b VARCHAR(10), PRIMARY KEY (a, b))');
  await app.query(`INSERT INTO growk SELECT seq % 10, CONCAT('b', seq) FROM seq_1_to_3000`);
  const shadowK = await makeShadow('growk');
  let insertedK = false;
  await copier(table('growk', [['a', 'int'], ['b', 'varchar']], ['a', 'b']), shadowK, {
    threads: 1, targetChunkMs: 2,
    beforeChunk: async (chunk) => {
      if (chunk.index === 0 && !insertedK) {
        insertedK = true; // chunk 0's bound is set; (-1, 'a') falls in it, the others beyond the last bound
        await app.query(`INSERT INTO growk VALUES (99, 'zz'), (9, 'zzzz'), (-1, 'a')`);
      }
    },
  }).run();
  assert.ok(insertedK);
  assert.deepEqual(await dump(shadowK, 'a, b'), await dump('growk', 'a, b'));
});
