/**
 * The demo's referee, loaded by the `migrate` CLI from the demo's config file. Right before cutover
 * it asks the demo to stop its write load, waits until it has, then snapshots the source table and
 * applies the same ALTER to the snapshot natively: `demo._expected` is what the migrated table must equal.
 */
import mysql from 'mysql2/promise';
import { definePlugin, sleep, Tokens } from '../plugin-api.ts';

export default definePlugin({
  name: 'demo-expectation',
  async beforeCutover(ctx) {
    const pool = ctx.resolve(Tokens.Pool);
    const { schema, table, parsed } = ctx.resolve(Tokens.Target);
    const q = (name: string) => `${mysql.escapeId(schema)}.${mysql.escapeId(name)}`;
    ctx.log.info('demo-expectation: load stop requested');
    for (;;) {
      const [rows] = await pool.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, '_load_stopped']);
      if ((rows as unknown[]).length > 0) break;
      await sleep(100, ctx.signal);
    }
    await pool.query(`DROP TABLE IF EXISTS ${q('_expected')}`);
    await pool.query(`CREATE TABLE ${q('_expected')} LIKE ${q(table)}`);
    await pool.query(`INSERT INTO ${q('_expected')} SELECT * FROM ${q(table)}`);
    await pool.query(`ALTER TABLE ${q('_expected')} ${parsed.spec}`);
    ctx.log.info('demo-expectation: source snapshot taken and altered natively as demo._expected');
  },
});
