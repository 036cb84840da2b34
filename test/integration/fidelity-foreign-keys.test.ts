/**
 * Foreign keys (README.md, "Foreign keys"), each against the server's own ALTER of the same rows
 * under a concurrent workload (inserts, updates, key updates, deletes):
 *   - child side, constraints kept: a parent row deleted (ON DELETE CASCADE) during copy and
 *     replay; the server writes no row event for the cascaded child deletes (checked here), so only
 *     the shadow's own constraint can follow them; names after cutover are the original ones;
 *   - child side with discardForeignKeys (no constraint on the new table), and its refusal for a
 *     cascading constraint;
 *   - a table referencing itself, rows referencing rows not copied yet (foreign_key_checks off);
 *   - parent side: refused by default naming the child tables and the options; refused above
 *     rebuildChildMaxRows; rebuilt children (rebuild-constraints) pointing at the new table.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { createMigration, definePlugin, ForeignKeyError, Tokens, type SluicePlugin } from '../../mod.ts';
import { compareTables } from '../support/compare.ts';
import { checkOutcome, dropDatabase, prepareSource, runFidelityCase, type FidelityOutcome } from '../support/fidelity-harness.ts';
import { appPool, testConnection } from '../support/db.ts';
import { intIn, orNull, type Rng } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const PARENTS = 40;
const pid = orNull((rng: Rng) => 1 + Math.floor(rng() * PARENTS), 0.1);

async function constraints(pool: Pool, schema: string): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT CONSTRAINT_NAME AS n, TABLE_NAME AS t, REFERENCED_TABLE_NAME AS r, DELETE_RULE AS d
       FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME`, [schema]);
  return rows.map((r) => `${r.t}.${r.n} -> ${r.r} ${r.d}`);
}

async function tables(pool: Pool, schema: string): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1', [schema]);
  return rows.map((r) => String(r.n));
}

/** Deletes a parent row and puts it back in one transaction: its children in `t` go by cascade. */
const cascadeParent = async (conn: PoolConnection, rng: Rng) => {
  const k = 1 + Math.floor(rng() * PARENTS);
  await conn.query('START TRANSACTION');
  try {
    await conn.query('DELETE FROM p WHERE id = ?', [k]);
    await conn.query('INSERT INTO p (id) VALUES (?)', [k]);
    await conn.query('COMMIT');
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
};

const CHILD_SETUP = [
  'CREATE TABLE p (id INT PRIMARY KEY)',
  'CREATE TABLE q (id INT PRIMARY KEY)',
  `INSERT INTO p (id) SELECT seq FROM seq_1_to_${PARENTS}`,
  `INSERT INTO q (id) SELECT seq FROM seq_1_to_${PARENTS}`,
];

test('child side, constraints kept: cascaded deletes of a parent during copy and replay, original names after cutover', async () => {
  const database = 'fidelity_fk_child';
  databases.push(database);
  const original = constraintsAtSetup();
  const outcome = await runFidelityCase({
    database, rows: 4000, seed: 71,
    create: 'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, pid INT, qid INT, v INT, KEY (pid), KEY (qid))',
    setupSql: [
      ...CHILD_SETUP,
      'ALTER TABLE t ADD FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE, ADD CONSTRAINT fk_t_q FOREIGN KEY (qid) REFERENCES q (id)',
    ],
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 7, MODIFY v BIGINT',
    target: { key: ['id'], newKey: (rng) => [intIn(1, 9000)(rng)], columns: { pid, qid: pid, v: orNull(intIn(-1000, 1000)) }, integerKey: true },
    workload: { custom: cascadeParent, mix: { custom: 6 } },
    plugins: [original.plugin],
  });
  assert.ok(outcome.stats.custom > 0, 'parent rows were deleted during the migration');
  assert.deepEqual(original.lines, [
    'CONSTRAINT `fk_t_q` FOREIGN KEY (`qid`) REFERENCES `q` (`id`)',
    'CONSTRAINT `t_ibfk_1` FOREIGN KEY (`pid`) REFERENCES `p` (`id`) ON DELETE CASCADE',
  ]);
  await checkWithoutConstraints(database, outcome, original.lines);
});

/** Records the CONSTRAINT lines of `t` before the migration starts. */
function constraintsAtSetup(): { lines: string[]; plugin: SluicePlugin } {
  const lines: string[] = [];
  return {
    lines,
    plugin: definePlugin({
      name: 'fk-lines',
      async preflight(ctx) {
        lines.push(...await constraintLines(ctx.resolve(Tokens.Pool), 't'));
      },
    }),
  };
}

async function constraintLines(pool: Pick<Pool, 'query'>, table: string): Promise<string[]> {
  const [[row]] = await pool.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${table}\``);
  return String(row!['Create Table']).split('\n').map((l) => l.trim().replace(/,$/, '')).filter((l) => l.startsWith('CONSTRAINT'));
}

/**
 * The migrated `t` holds exactly `lines` as constraints; without them it is identical to the
 * server's own ALTER of the same rows (`expected_t`, made by CREATE … LIKE, has none).
 */
async function checkWithoutConstraints(database: string, outcome: FidelityOutcome, lines: readonly string[]): Promise<void> {
  const pool = appPool(database, 2);
  try {
    assert.deepEqual(await constraintLines(pool, 't'), lines, 'the constraints after cutover, by name and definition');
    assert.deepEqual((await tables(pool, database)).filter((n) => n.startsWith('_')), [], 'nothing left behind');
    const names = lines.map((l) => /^CONSTRAINT `([^`]+)`/.exec(l)![1]!);
    if (names.length > 0) await pool.query(`ALTER TABLE t ${names.map((n) => `DROP FOREIGN KEY \`${n}\``).join(', ')}`);
    checkOutcome({ ...outcome, comparison: await compareTables(pool, database, 't', 'expected_t') });
  } finally {
    await pool.end();
  }
}

test('the server writes no row event for a cascaded delete (why the shadow needs its own constraint)', async () => {
  const database = 'fidelity_fk_binlog';
  databases.push(database);
  const pool = await prepareSource({ database, create: 'CREATE TABLE t (id INT PRIMARY KEY, pid INT, KEY (pid))', target: { key: ['id'], newKey: () => [1], columns: {} }, rows: 0, setupSql: [] });
  try {
    await pool.query('CREATE TABLE p (id INT PRIMARY KEY)');
    await pool.query('INSERT INTO p VALUES (1), (2)');
    await pool.query('ALTER TABLE t ADD FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE');
    await pool.query('INSERT INTO t VALUES (1, 1), (2, 1), (3, 2)');
    const [[before]] = await pool.query<RowDataPacket[]>('SHOW MASTER STATUS');
    await pool.query('DELETE FROM p WHERE id = 1');
    const [events] = await pool.query<RowDataPacket[]>(`SHOW BINLOG EVENTS IN '${before!.File}' FROM ${before!.Position}`);
    const rowEvents = events.filter((e) => /^(Write|Update|Delete)_rows/.test(String(e.Event_type)));
    assert.equal(rowEvents.length, 1, events.map((e) => `${e.Event_type} ${e.Info}`).join('\n'));
    const [[left]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM t');
    assert.equal(Number(left!.n), 1, 'the cascade did delete the two child rows');
  } finally {
    await pool.end();
  }
});

test('child side with discardForeignKeys: the new table has no constraint; refused when one cascades', async () => {
  const database = 'fidelity_fk_discard';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, rows: 3000, seed: 72,
    create: 'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, pid INT, v INT, KEY (pid))',
    setupSql: [...CHILD_SETUP, 'ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id)'],
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 7',
    target: { key: ['id'], newKey: (rng) => [intIn(1, 9000)(rng)], columns: { pid, v: orNull(intIn(-1000, 1000)) }, integerKey: true },
    options: { discardForeignKeys: true },
  });
  await checkWithoutConstraints(database, outcome, []);

  // The same with ON DELETE CASCADE: refused before anything is created.
  const pool = appPool(database, 2);
  try {
    await pool.query('ALTER TABLE t ADD CONSTRAINT fk_t_q FOREIGN KEY (pid) REFERENCES q (id) ON DELETE CASCADE');
    await using m = await createMigration({ connection: testConnection(database), statement: 'ALTER TABLE t ADD COLUMN more INT', tryNative: false, checksum: false, discardForeignKeys: true });
    const err = await m.run().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ForeignKeyError, String(err));
    assert.match(err.message, /--discard-foreign-keys: fk_t_q \(ON DELETE CASCADE ON UPDATE RESTRICT\) on `fidelity_fk_discard`.`t` .*not write those cascaded changes to the binlog/);
    assert.deepEqual(await tables(pool, database), ['expected_t', 'p', 'q', 't']);
  } finally {
    await pool.end();
  }
});

test('a table referencing itself: rows reference rows the copy has not reached yet (foreign_key_checks off)', async () => {
  const database = 'fidelity_fk_self';
  databases.push(database);
  const pool = await prepareSource({ database, create: 'CREATE TABLE t (id INT PRIMARY KEY, up INT, v INT, KEY (up))', target: { key: ['id'], newKey: () => [1], columns: {} }, rows: 0 });
  try {
    // Every row references one far above it, so each chunk references rows of later chunks.
    await pool.query('INSERT INTO t (id, up, v) SELECT seq, IF(seq <= 2000, seq + 2000, NULL), seq FROM seq_1_to_4000');
    await pool.query('ALTER TABLE t ADD CONSTRAINT fk_up FOREIGN KEY (up) REFERENCES t (id)');
    await pool.query('CREATE TABLE expected_t LIKE t');
    await pool.query('INSERT INTO expected_t SELECT * FROM t');
    await pool.query('ALTER TABLE expected_t ADD COLUMN extra INT NOT NULL DEFAULT 7');
    await using m = await createMigration({ connection: testConnection(database), statement: 'ALTER TABLE t ADD COLUMN extra INT NOT NULL DEFAULT 7', tryNative: false, checksum: false, targetChunkMs: 5, threads: 1 });
    const result = await m.run();
    assert.equal(result.mode, 'copy');
    assert.deepEqual(await constraintLines(pool, 't'), ['CONSTRAINT `fk_up` FOREIGN KEY (`up`) REFERENCES `t` (`id`)']);
    await pool.query('ALTER TABLE t DROP FOREIGN KEY fk_up');
    const c = await compareTables(pool, database, 't', 'expected_t');
    assert.deepEqual({ def: c.definition, missing: c.missing, extra: c.extra, changed: c.changed.length }, { def: [], missing: [], extra: [], changed: 0 });
  } finally {
    await pool.end();
  }
});

const PARENT_SETUP = [
  'CREATE TABLE c (cid INT PRIMARY KEY, tid INT, KEY (tid))',
  'INSERT INTO c (cid, tid) SELECT id, id FROM t WHERE MOD(id, 3) = 0',
  'ALTER TABLE c ADD CONSTRAINT fk_c_t FOREIGN KEY (tid) REFERENCES t (id) ON DELETE CASCADE ON UPDATE CASCADE',
];

test('parent side: refused by default naming the child tables and the options, and above rebuildChildMaxRows', async () => {
  const database = 'fidelity_fk_parent_refused';
  databases.push(database);
  const pool = await prepareSource({ database, create: 'CREATE TABLE t (id INT PRIMARY KEY, v INT)', target: { key: ['id'], newKey: () => [1], columns: {} }, rows: 0 });
  try {
    await pool.query('INSERT INTO t (id, v) SELECT seq, seq FROM seq_1_to_300');
    for (const sql of PARENT_SETUP) await pool.query(sql);
    const run = async (options: object) => {
      await using m = await createMigration({ connection: testConnection(database), statement: 'ALTER TABLE t ADD COLUMN extra INT', tryNative: false, checksum: false, ...options });
      return await m.run().then(() => undefined, (e: unknown) => e);
    };
    const refused = await run({});
    assert.ok(refused instanceof ForeignKeyError, String(refused));
    assert.match(refused.message, /`t` is referenced by foreign keys of other tables \(fk_c_t on c\).*--alter-foreign-keys-method rebuild-constraints/);
    assert.deepEqual(refused.foreignKeys, [{ name: 'fk_c_t', role: 'parent', otherTable: `${database}.c` }]);
    const big = await run({ alterForeignKeysMethod: 'rebuild-constraints', rebuildChildMaxRows: 99 });
    assert.ok(big instanceof ForeignKeyError, String(big));
    assert.match(big.message, /child table fidelity_fk_parent_refused\.c \(more than 99 rows\) exceeds --rebuild-child-max-rows/);
    assert.deepEqual(await tables(pool, database), ['c', 't'], 'nothing created');
  } finally {
    await pool.end();
  }
});

/** The parent-side case under a workload, with `method`; returns its outcome, checked. */
async function parentCase(database: string, seed: number, method: 'rebuild-constraints' | 'drop-swap') {
  databases.push(database);
  const outcome = await runFidelityCase({
    database, rows: 3000, seed,
    create: 'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v INT)',
    setupSql: PARENT_SETUP,
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 7, MODIFY v BIGINT',
    target: { key: ['id'], newKey: (rng) => [intIn(1, 9000)(rng)], columns: { v: orNull(intIn(-1000, 1000)) }, integerKey: true },
    options: { alterForeignKeysMethod: method },
  });
  checkOutcome(outcome);
  return outcome;
}

/** c's constraint is the original one, on the new `t`, and a delete on `t` cascades to c. */
async function assertChildOnNewTable(pool: Pool): Promise<void> {
  assert.deepEqual(await constraintLines(pool, 'c'), ['CONSTRAINT `fk_c_t` FOREIGN KEY (`tid`) REFERENCES `t` (`id`) ON DELETE CASCADE ON UPDATE CASCADE']);
  const [[orphans]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM c LEFT JOIN t ON t.id = c.tid WHERE c.tid IS NOT NULL AND t.id IS NULL');
  assert.equal(Number(orphans!.n), 0);
  const [[one]] = await pool.query<RowDataPacket[]>('SELECT tid FROM c WHERE tid IS NOT NULL LIMIT 1');
  await pool.query('DELETE FROM t WHERE id = ?', [one!.tid]);
  const [[gone]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM c WHERE tid = ?', [one!.tid]);
  assert.equal(Number(gone!.n), 0, 'a delete on the new t cascades to c');
}

test('parent side with rebuild-constraints: the child constraint points at the new table, same name, cascades work', async () => {
  const database = 'fidelity_fk_parent';
  await parentCase(database, 73, 'rebuild-constraints');
  const pool = appPool(database, 2);
  try {
    assert.deepEqual(await constraints(pool, database), ['c.fk_c_t -> t CASCADE']);
    assert.deepEqual((await tables(pool, database)).filter((n) => n.startsWith('_')), []);
    await assertChildOnNewTable(pool);
  } finally {
    await pool.end();
  }
});

test('parent side with drop-swap: the table is dropped and the new one renamed in, the child constraint resolves to it', async () => {
  const database = 'fidelity_fk_dropswap';
  const outcome = await parentCase(database, 74, 'drop-swap');
  assert.ok(outcome.log.some((l) => /drop-swapped in attempt 1; .* the original was dropped/.test(l)), outcome.log.join('\n'));
  const pool = appPool(database, 2);
  try {
    assert.deepEqual(await tables(pool, database), ['c', 'expected_t', 't'], 'no old table left');
    await assertChildOnNewTable(pool);
  } finally {
    await pool.end();
  }
  await assert.rejects(createMigration({ connection: testConnection(database), statement: 'ALTER TABLE t ADD COLUMN x INT', alterForeignKeysMethod: 'drop-swap', keepOldTable: true }),
    /drop-swap drops the original table, so it cannot be kept/);
});
