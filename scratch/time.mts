import mysql from 'mysql2/promise';
import { testServer } from '../scripts/sandbox.ts';
import { runAlterCase } from '../test/support/fidelity-alter.ts';
import { freshDatabase } from '../test/support/db.ts';
const pool = await freshDatabase('h1_time');
const s = testServer();
const conn = await mysql.createConnection({ host: s.host, port: s.port, user: s.user, password: s.password, database: 'h1_time', dateStrings: true });
for (let i = 0; i < 4; i++) {
  const t0 = Date.now();
  const o = await runAlterCase(conn, pool, { schema: 'h1_time', table: 't', create: 'CREATE TABLE t (id INT PRIMARY KEY, a INT)', fill: ['INSERT INTO t VALUES (1,1),(2,2)'], alter: 'MODIFY a BIGINT', options: i % 2 ? { disablePlugins: ['checkpoint', 'throttler', 'mdl'] } : {} });
  console.log(i, o.verdict.kind, Date.now() - t0, o.log.join(' | ').slice(0, 1500));
}
await conn.end(); await pool.end();
