/**
 * The cutover's trigger move (core/cutover/triggers.ts) on its own, with the replay stand-in of
 * the cutover tests: an attempt that fails after the move puts every trigger back on the table
 * (definitions unchanged, firing there), and the next cutover moves them to the new table.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { cutover } from '../../core/cutover/cutover.ts';
import { CutoverFailedError } from '../../core/cutover/errors.ts';
import { readTriggerDefs } from '../../core/triggers/read.ts';
import { drop, fixture, id, options, tables } from './cutover-helpers.ts';

const LONG = `orders_ai_${'y'.repeat(54)}`;

test('a cutover that fails after moving the triggers puts them back on the table; the next one moves them', async () => {
  const f = await fixture('cutover_trg');
  try {
    await f.pool.query('CREATE TABLE audit_log (n INT AUTO_INCREMENT PRIMARY KEY, id INT, what VARCHAR(8))');
    await f.pool.query(`CREATE TRIGGER \`${LONG}\` AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit_log (id, what) VALUES (NEW.id, 'ins')`);
    await f.pool.query("CREATE TRIGGER orders_bu BEFORE UPDATE ON orders FOR EACH ROW SET NEW.v = CONCAT(NEW.v, '!')");
    const defs = async (table: string) => (await readTriggerDefs(f.pool, f.db, table)).map((d) => ({ ...d }));
    const before = await defs('orders');
    assert.equal(before.length, 2);
    let seenOnShadow: string[] = [];
    f.replay.onStop = async () => {
      seenOnShadow = (await readTriggerDefs(f.pool, f.db, 'orders~new')).map((d) => d.name);
      throw new Error('replay stop failed (test)');
    };
    await assert.rejects(cutover(options(f, { attempts: 1 })), CutoverFailedError);
    assert.deepEqual(seenOnShadow.sort(), [LONG, 'orders_bu'].sort(), 'by the point of no return the triggers were on the shadow');
    assert.deepEqual(await tables(f.pool), ['_orders_new', 'audit_log', 'orders', 'unrelated']);
    assert.deepEqual(await defs('orders'), before, 'back on the table, the same definitions');
    assert.deepEqual(await defs('_orders_new'), []);
    await f.pool.query("INSERT INTO orders (id, v) VALUES (2000, 'after the failed attempt')");
    const [audit] = await f.pool.query<RowDataPacket[]>('SELECT id FROM audit_log');
    assert.deepEqual(audit.map((r) => r.id), [2000], 'and firing there');

    f.replay.onStop = undefined;
    const result = await cutover(options(f));
    assert.deepEqual(await defs('orders'), before, 'moved to the new table');
    assert.deepEqual(await defs(result.oldTable), [], 'none left on the old one');
    await f.pool.query("INSERT INTO orders (id, v) VALUES (2001, 'after the swap')");
    await f.pool.query(`UPDATE ${id('orders')} SET v = 'u' WHERE id = 2001`);
    const [rows] = await f.pool.query<RowDataPacket[]>('SELECT v, extra FROM orders WHERE id = 2001');
    assert.deepEqual(rows.map((r) => [r.v, r.extra]), [['u!', 42]], 'the new table (with extra) fires BEFORE UPDATE');
    const [audit2] = await f.pool.query<RowDataPacket[]>('SELECT id FROM audit_log ORDER BY n');
    assert.deepEqual(audit2.map((r) => r.id), [2000, 2001]);
  } finally {
    await drop(f);
  }
});
