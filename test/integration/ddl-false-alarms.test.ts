/**
 * Statements in the binlog that look like DDL on the source but are not: they must neither stop a
 * migration nor drop its checkpoint. A real DDL on the source still stops it.
 *  - `CREATE TABLE IF NOT EXISTS t …` while t exists: a no-op, written to the binlog all the same;
 *  - on a case-sensitive server (lower_case_table_names 0, the sandbox's), `T` is another table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, SourceTableChangedError } from '../../mod.ts';
import { fileDatabases, testConnection } from '../support/db.ts';

const { database } = fileDatabases();

async function seed(pool: Pool): Promise<void> {
  const [[lc]] = await pool.query<RowDataPacket[]>('SELECT @@lower_case_table_names AS lc');
  assert.equal(Number(lc!.lc), 0, 'these tests need a case-sensitive server');
  await pool.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_2000");
}

/** Runs the statements after the copy, while replay runs, then a write that must reach the result. */
async function migrateWith(db: string, pool: Pool, statements: string[]) {
  const logs: string[] = [];
  let checkpointAfterDdl: number | undefined;
  const ddl = definePlugin({
    name: 'ddl-during-replay',
    async afterCopy() {
      for (const sql of statements) await pool.query(sql);
      await pool.query("UPDATE t SET v = 'after ddl' WHERE id = 1");
    },
    async beforeCutover() {
      const [[n]] = await pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '_t_chkpnt'", [db]);
      checkpointAfterDdl = Number(n!.n);
    },
  });
  const m = await createMigration({ connection: testConnection(db), statement: 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7', tryNative: false, plugins: [ddl] });
  m.on((e) => { if (e.type === 'log') logs.push(e.message); });
  let error: unknown;
  try {
    await m.run();
  } catch (err) {
    error = err;
  } finally {
    await m[Symbol.asyncDispose]();
  }
  return { error, logs, checkpointAfterDdl };
}

async function checkMigrated(pool: Pool): Promise<void> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, v, extra FROM t ORDER BY id');
  assert.equal(rows.length, 2000);
  assert.deepEqual([rows[0]!.id, rows[0]!.v, rows[0]!.extra], [1, 'after ddl', 7]);
  assert.ok(rows.every((r) => r.extra === 7));
}

test('CREATE TABLE IF NOT EXISTS on the existing source during replay does not stop the migration', async () => {
  const db = 'ddl_if_not_exists';
  const pool = await database(db);
  await seed(pool);
  const out = await migrateWith(db, pool, [
    'CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY)', `CREATE TABLE IF NOT EXISTS \`${db}\`.t (x INT)`,
  ]);
  assert.equal(out.error, undefined, String(out.error));
  assert.equal(out.checkpointAfterDdl, 1, 'the checkpoint was kept');
  await checkMigrated(pool);
});

test('on a case-sensitive server, a DDL on `T` (another table) does not stop the migration of `t`', async () => {
  const db = 'ddl_other_case';
  const pool = await database(db);
  await seed(pool);
  await pool.query('CREATE TABLE T (id INT PRIMARY KEY)');
  const out = await migrateWith(db, pool, ['ALTER TABLE T ADD COLUMN z INT', 'TRUNCATE TABLE `T`', 'RENAME TABLE T TO T2']);
  assert.equal(out.error, undefined, String(out.error));
  assert.equal(out.checkpointAfterDdl, 1, 'the checkpoint was kept');
  await checkMigrated(pool);
  const [[t2]] = await pool.query<RowDataPacket[]>('SHOW CREATE TABLE T2');
  assert.match(String(t2!['Create Table']), /`z` int/);
});

test('a real DDL on the source during replay still stops the migration, and the original is kept', async () => {
  const db = 'ddl_real';
  const pool = await database(db);
  await seed(pool);
  const out = await migrateWith(db, pool, ['ALTER TABLE t ADD COLUMN z INT']);
  assert.ok(out.error instanceof SourceTableChangedError, `expected SourceTableChangedError, got ${String(out.error)}`);
  assert.match(out.error.message, /ALTER TABLE/);
  const [cols] = await pool.query<RowDataPacket[]>('SHOW COLUMNS FROM t');
  assert.deepEqual(cols.map((c) => c.Field), ['id', 'v', 'z'], 'the source is as the DDL left it, not migrated');
});
