import { createMigration } from '../mod.ts';
import { freshDatabase, testConnection } from '../test/support/db.ts';
const pool = await freshDatabase('h1_time');
for (let i = 0; i < 3; i++) {
  await pool.query('DROP TABLE IF EXISTS t'); await pool.query('CREATE TABLE t (id INT PRIMARY KEY, a INT)'); await pool.query('INSERT INTO t VALUES (1,1),(2,2)');
  const t0 = Date.now(); const marks: string[] = [];
  {
    await using m = await createMigration({ connection: testConnection('h1_time'), statement: 'ALTER TABLE t MODIFY a BIGINT', tryNative: false, checksum: false, threads: 1, disablePlugins: ['throttler'] });
    m.on((e) => { if (e.type === 'phase') marks.push(`${e.phase}:${e.state}@${e.at - t0}`); });
    await m.run();
    marks.push(`run done@${Date.now() - t0}`);
  }
  console.log(marks.join(' '), `disposed@${Date.now() - t0}`);
}
await pool.end();
