/**
 * Letter case of table names on a server with lower_case_table_names = 1 (a second sandbox: the
 * setting is fixed when the data directory is initialised, so install-db gets it too). A statement
 * naming `Orders` for the stored `orders` must use the same shadow, checkpoint and advisory lock as
 * one naming `ORDERS`: an interrupted run resumes in strict mode under another spelling, and a
 * second migration under another spelling finds the lock taken.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, LockHeldError, MigrationCancelledError, sleep, type Migration, type SluiceOptions } from '../../mod.ts';
import { auxPort } from '../../scripts/sandbox.ts';
import { SecondServer } from '../support/second-server.ts';

const LCTN = '--lower-case-table-names=1';
const second = new SecondServer({ port: auxPort('secondServer'), name: 'lctn1', extraArgs: [LCTN], initArgs: [LCTN] });
before(() => second.start());
after(() => second.stop());

const SPEC = 'ADD COLUMN extra INT NOT NULL DEFAULT 7';

test('interrupted as `Orders`, resumed as `ORDERS` in strict mode: same checkpoint, shadow and lock', { timeout: 120_000 }, async () => {
  const db = 'lctn_case';
  const pool = await second.freshDatabase(db);
  const [[lc]] = await pool.query<RowDataPacket[]>('SELECT @@lower_case_table_names AS lc');
  assert.equal(Number(lc!.lc), 1);
  await pool.query('CREATE TABLE Orders (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO Orders SELECT seq, CONCAT('v', seq) FROM seq_1_to_6000");

  const make = (table: string, extra: Partial<SluiceOptions> = {}) => createMigration({
    connection: second.connection(db), statement: `ALTER TABLE ${table} ${SPEC}`, tryNative: false,
    targetChunkMs: 5, threads: 1, checksum: false, strict: true, ...extra,
  });

  // Run 1, as `Orders`: after a few chunks, a migration of `orders` must find the lock held; then cancel.
  let lockError: unknown;
  let first: Migration | undefined;
  let tables: string[] = [];
  const interrupt = definePlugin({
    name: 'interrupt',
    async beforeChunk(ctx) {
      await sleep(20, ctx.signal);
    },
    async afterChunk(_ctx, chunk) {
      if (chunk.index !== 2) return;
      await pool.query("UPDATE ORDERS SET v = 'changed' WHERE id = 1"); // already copied: replay must carry it
      const other = await make('orders');
      try {
        await other.run();
      } catch (err) {
        lockError = err;
      } finally {
        await other[Symbol.asyncDispose]();
      }
      const [rows] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [db]);
      tables = rows.map((r) => String(r.n)).sort();
      first!.cancel('test interrupt');
    },
  });
  first = await make('Orders', { plugins: [interrupt] });
  await assert.rejects(first.run(), (err: unknown) => err instanceof MigrationCancelledError);
  await first[Symbol.asyncDispose]();
  assert.ok(lockError instanceof LockHeldError, `a migration of \`orders\` must find the lock of \`Orders\` held, got ${String(lockError)}`);
  assert.deepEqual(tables, ['_orders_chkpnt', '_orders_new', 'orders']);
  const [[cp]] = await pool.query<RowDataPacket[]>('SELECT table_name, statement FROM _orders_chkpnt');
  assert.equal(cp!.table_name, 'orders');
  assert.equal(cp!.statement, `ALTER TABLE orders ${SPEC}`);

  // Run 2, as `ORDERS`, strict: resumes from that checkpoint instead of refusing or starting fresh.
  const logs: string[] = [];
  const late = definePlugin({
    name: 'late-write',
    async afterCopy() {
      await pool.query("INSERT INTO oRdErS VALUES (7000, 'late')");
    },
  });
  const resumed = await make('ORDERS', { plugins: [late] });
  resumed.on((e) => { if (e.type === 'log') logs.push(e.message); });
  let result;
  try {
    result = await resumed.run();
  } finally {
    await resumed[Symbol.asyncDispose]();
  }
  assert.equal(result.resumed, true, 'resumed from the checkpoint');
  assert.ok(logs.some((l) => l.startsWith('checkpoint found')), 'the checkpoint was found');
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, v, extra FROM orders ORDER BY id');
  assert.equal(rows.length, 6001);
  const expected = (i: number) => (i === 1 ? 'changed' : `v${i}`);
  assert.ok(rows.slice(0, 6000).every((r, i) => r.id === i + 1 && r.v === expected(i + 1) && r.extra === 7));
  assert.deepEqual([rows[6000]!.id, rows[6000]!.v, rows[6000]!.extra], [7000, 'late', 7]);
  const [left] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [db]);
  assert.deepEqual(left.map((r) => String(r.n)), ['orders'], 'no shadow, checkpoint or old table left');
});
