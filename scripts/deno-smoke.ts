/**
 * Runs one real migration on the sandbox under Deno 2, from mod.ts directly (no build):
 *   npx deno run -A scripts/deno-smoke.ts      (the sandbox must be running: npm run sandbox -- start)
 */
import mysql from 'mysql2/promise';
import { createMigration } from '../mod.ts';
import { testServer } from './sandbox.ts';

const server = testServer();
const admin = await mysql.createConnection({ ...server });
await admin.query('DROP DATABASE IF EXISTS deno_smoke');
await admin.query('CREATE DATABASE deno_smoke');
await admin.query('USE deno_smoke');
await admin.query('CREATE TABLE deno_smoke.t (id INT PRIMARY KEY, v VARCHAR(20))');
await admin.query(`INSERT INTO deno_smoke.t SELECT seq, CONCAT('row ', seq) FROM seq_1_to_5000`);
{
  await using migration = await createMigration({
    connection: { ...server, database: 'deno_smoke' },
    statement: 'ALTER TABLE t ADD COLUMN w INT NULL, ADD INDEX (v)',
    tryNative: false,
  });
  const result = await migration.run();
  const [rows] = await admin.query('SELECT COUNT(*) AS c, SUM(id) AS s FROM deno_smoke.t');
  const { c, s } = (rows as Array<{ c: number; s: string }>)[0]!;
  if (result.mode !== 'copy' || Number(c) !== 5000 || Number(s) !== 12502500) throw new Error(`unexpected result ${JSON.stringify({ result, c, s })}`);
  console.log(`deno smoke: OK (${result.rowsCopied} rows copied, writes blocked ${result.cutover?.lockMs} ms)`);
}
await admin.query('DROP DATABASE deno_smoke');
await admin.end();
