/**
 * Regression tests, at the replay level, for the two replay faults the fidelity matrix found:
 *  1. A key taken in while skipping was not possible yet (before the copier existed) was written
 *     to the shadow although the copier had not reached it; later changes to it were skipped (above
 *     the high watermark) and the copier's INSERT IGNORE kept the stale row: rows came out with
 *     old values, and deleted rows came back. A flush must drop keys that are skippable by then.
 *  2. Keys in a charset other than UTF-8 were re-selected with zongji's iconv-decoded text, which
 *     is lossy (MySQL latin1 0x81 becomes U+FFFD under cp1252; some sjis characters map elsewhere):
 *     the flush failed with "Illegal mix of collations" (or could miss the row). They must round-trip.
 *  3. With a UNIQUE index besides the PK, two rows swapping their unique values in one transaction
 *     failed the flush (and the migration) with a duplicate key when their keys were applied in
 *     different batches or flushes: the other row's shadow copy still held the value.
 * Every check compares the shadow table with a plain SELECT of the source.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { BinlogReplayer } from '../../core/replay/replayer.ts';
import { currentBinlogPosition, openPool } from '../../core/connection/connection.ts';
import { inspectTable } from '../../core/table/inspect.ts';
import type { KeyTuple } from '../../core/types.ts';
import { freshDatabase, testConnection } from '../support/db.ts';
import { dropDatabase } from '../support/fidelity-harness.ts';

const databases: string[] = [];
const pools: Pool[] = [];
after(async () => {
  for (const p of pools) await p.end();
  for (const db of databases) await dropDatabase(db);
});

async function setup(db: string, ddl: string, seed: string[] = []) {
  const app = await freshDatabase(db);
  const sluice = openPool(testConnection(db), undefined, 2);
  pools.push(app, sluice);
  databases.push(db);
  await app.query(ddl);
  for (const sql of seed) await app.query(sql);
  await app.query('CREATE TABLE _t_new LIKE t');
  await app.query('INSERT INTO _t_new SELECT * FROM t');
  const source = await inspectTable(app, db, 't');
  const names = source.columns.map((c) => c.name);
  return { app, sluice, source, mapping: { source: names, target: names } };
}

async function rows(pool: Pool, table: string): Promise<string[]> {
  const [r] = await pool.query<RowDataPacket[]>(`SELECT HEX(k) AS k, v FROM ${mysql.escapeId(table)} ORDER BY k`);
  return r.map((x) => `${x.k}=${x.v}`);
}

test('a key taken in before it could be skipped is not written once it is skippable', async () => {
  const e = await setup('fidelity_replay_skip', 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', ['INSERT INTO t VALUES (1, 0)']);
  let copierHigh: number | null = null; // null: no copier yet (nothing may be skipped)
  const skipKey = (key: KeyTuple) => copierHigh !== null && Number(key[0]) > copierHigh;
  await using r = await BinlogReplayer.start({
    connection: testConnection(), pool: e.sluice, source: e.source, shadow: '_t_new', mapping: e.mapping,
    start: await currentBinlogPosition(e.app), skipKey,
  });
  await e.app.query('INSERT INTO t VALUES (100, 1)');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
  assert.equal(r.pending, 1, 'taken in: no copier yet');
  copierHigh = 10; // the copier starts; it has not reached key 100
  await r.flush();
  const [shadow] = await e.app.query<RowDataPacket[]>('SELECT id FROM _t_new WHERE id = 100');
  assert.equal(shadow.length, 0, 'replay wrote a row the copier has not reached: a later skipped change would leave it stale');
  // A later change is skipped; the copier then reads the row: the shadow ends like the source.
  await e.app.query('UPDATE t SET v = 2 WHERE id = 100');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
  await e.app.query('INSERT IGNORE INTO _t_new SELECT * FROM t WHERE id > 10');
  const [[row]] = await e.app.query<RowDataPacket[]>('SELECT v FROM _t_new WHERE id = 100');
  assert.equal(row!.v, 2);
});

const charsets: Array<{ name: string; charset: string; keys: string[] }> = [
  // \u0081 \u008d \u008f \u0090 \u009d: MySQL latin1 bytes 0x81 0x8D 0x8F 0x90 0x9D, undefined in cp1252.
  { name: 'latin1 (bytes cp1252 leaves undefined)', charset: 'latin1', keys: ['a\u0081', '\u008d\u008f', '\u0090', '\u009d€', 'ÿ\\', 'plain'] },
  { name: 'sjis (0x5C second bytes, wave dash)', charset: 'sjis', keys: ['表', 'ソ\\', '〜', '～', '＼', '能力'] },
  { name: 'gbk', charset: 'gbk', keys: ['中文', '乗', '\\', '癶', '齄', 'x'] },
];

for (const c of charsets) {
  test(`keys in ${c.name} round-trip: insert, update, PK move and delete are replayed`, async (t) => {
    const e = await setup(`fidelity_replay_${c.charset}`, `CREATE TABLE t (k VARCHAR(10) CHARACTER SET ${c.charset} NOT NULL PRIMARY KEY, v INT)`);
    // Keys the charset cannot hold are not test material: keep those the server stores unchanged.
    const keys: string[] = [];
    for (const k of c.keys) {
      const [[back]] = await e.app.query<RowDataPacket[]>(`SELECT CONVERT(CONVERT(? USING ${c.charset}) USING utf8mb4) = ? COLLATE utf8mb4_bin AS same`, [k, k]);
      if (Number(back!.same) === 1) keys.push(k);
    }
    t.diagnostic(`keys used: ${JSON.stringify(keys)}`);
    assert.ok(keys.length >= 4, `too few keys survive ${c.charset}: ${JSON.stringify(keys)}`);
    const [k0, k1, k2, k3, ...rest] = keys as [string, string, string, string, ...string[]];
    await e.app.query('INSERT INTO t VALUES (?, 0), (?, 0), (?, 0)', [k0, k1, k2]);
    await e.app.query('INSERT INTO _t_new SELECT * FROM t'); // the copy
    await using r = await BinlogReplayer.start({
      connection: testConnection(), pool: e.sluice, source: e.source, shadow: '_t_new', mapping: e.mapping,
      start: await currentBinlogPosition(e.app),
    });
    await e.app.query('UPDATE t SET v = 1 WHERE k = ?', [k0]);
    await e.app.query('UPDATE t SET k = ? WHERE k = ?', [k3, k1]);
    await e.app.query('DELETE FROM t WHERE k = ?', [k2]);
    for (const k of rest) await e.app.query('INSERT INTO t VALUES (?, 2)', [k]);
    await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
    await r.flush();
    assert.deepEqual(await rows(e.app, '_t_new'), await rows(e.app, 't'));
  });
}

test('two rows swapping a UNIQUE value in one transaction replay without a duplicate-key failure, one key per batch', async () => {
  const e = await setup('fidelity_replay_unique', 'CREATE TABLE t (id INT PRIMARY KEY, u INT, UNIQUE KEY by_u (u))', [
    'INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)',
  ]);
  await using r = await BinlogReplayer.start({
    connection: testConnection(), pool: e.sluice, source: e.source, shadow: '_t_new', mapping: e.mapping,
    start: await currentBinlogPosition(e.app), batchSize: 1,
  });
  const conn = await e.app.getConnection();
  try {
    await conn.query('START TRANSACTION');
    await conn.query('UPDATE t SET u = NULL WHERE id = 1');
    await conn.query('UPDATE t SET u = 10 WHERE id = 2');
    await conn.query('UPDATE t SET u = 20 WHERE id = 1');
    await conn.query('COMMIT');
  } finally {
    conn.release();
  }
  await e.app.query('UPDATE t SET u = 31 WHERE id = 3');
  await r.waitFor(await currentBinlogPosition(e.app), AbortSignal.timeout(20_000));
  await r.flush();
  const [shadow] = await e.app.query<RowDataPacket[]>('SELECT id, u FROM _t_new ORDER BY id');
  const [source] = await e.app.query<RowDataPacket[]>('SELECT id, u FROM t ORDER BY id');
  assert.deepEqual(shadow, source);
});
