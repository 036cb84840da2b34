/**
 * Foreign keys, SIGKILL and resume once per shape: the `migrate` CLI is killed during the copy
 * under a concurrent workload, rerun with --defer-cutover; while it waits the workload stops, the
 * quiescent source is snapshotted and altered by the server itself (`expected_t`), the sentinel is
 * dropped, and the migrated `t` must equal it (constraints checked by name and definition apart).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareTables, describeComparison, isIdentical } from '../support/compare.ts';
import { connectionFlags, startCli } from '../support/cli.ts';
import { dropDatabase, prepareSource, snapshotExpected } from '../support/fidelity-harness.ts';
import { intIn, orNull, Workload, type Rng, type WorkloadTable } from '../support/workload.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const PARENTS = 40;
const pid = orNull((rng: Rng) => 1 + Math.floor(rng() * PARENTS), 0.1);
const ALTER = 'ADD COLUMN extra INT NOT NULL DEFAULT 7, MODIFY v BIGINT';

async function constraintLines(pool: Pool, table: string): Promise<string[]> {
  const [[row]] = await pool.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${table}\``);
  return String(row!['Create Table']).split('\n').map((l) => l.trim().replace(/,$/, '')).filter((l) => l.startsWith('CONSTRAINT'));
}

async function waitFor(what: string, ok: () => boolean, ms = 90_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Shape {
  database: string;
  create: string;
  setupSql: string[];
  columns: WorkloadTable['columns'];
  flags: string[];
  custom?: (conn: import('mysql2/promise').PoolConnection, rng: Rng) => Promise<void>;
  /** Constraint lines of `table` after the migration. */
  check: { table: string; lines: string[] };
}

async function killAndResume(shape: Shape): Promise<void> {
  databases.push(shape.database);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fk-'));
  const config = join(dir, 'migrate.config.mjs');
  writeFileSync(config, [
    `import { checkpointPlugin } from ${JSON.stringify(join(ROOT, 'plugins/checkpoint/index.ts'))};`,
    `import { definePlugin, sleep } from ${JSON.stringify(join(ROOT, 'mod.ts'))};`,
    "export default { progressIntervalMs: 50, plugins: [checkpointPlugin({ interval: '200ms' }), definePlugin({ name: 'pacer', async afterChunk(ctx) { await sleep(40, ctx.signal); } })] };",
  ].join('\n'));
  const target = { key: ['id'], newKey: (rng: Rng) => [intIn(1, 9000)(rng)], columns: shape.columns, integerKey: true };
  const pool = await prepareSource({ database: shape.database, create: shape.create, setupSql: shape.setupSql, target, rows: 4000, seed: 81 }, 6);
  const workload = await Workload.start({ pool, target: { schema: shape.database, table: 't', ...target }, seed: 82, workers: 3, maxMs: 120_000, ...(shape.custom ? { custom: shape.custom, mix: { custom: 6 } } : {}) });
  try {
    const args = [...connectionFlags(shape.database), '--statement', `ALTER TABLE t ${ALTER}`, '--no-native', '--no-checksum',
      '--threads', '2', '--target-chunk-time', '5', '--config', config, '--defer-cutover', ...shape.flags];
    const first = startCli(args);
    let err1 = '';
    first.child.stderr!.on('data', (d: Buffer) => { err1 += d.toString(); });
    await waitFor('the first run to copy', () => /rows copied|copy/.test(err1) && /^migrate: \S+ phase copy$/m.test(err1));
    await sleep(700);
    first.child.kill('SIGKILL');
    const r1 = await first.done;
    assert.equal(r1.signal, 'SIGKILL', r1.stderr);

    const second = startCli(args);
    let err2 = '';
    second.child.stderr!.on('data', (d: Buffer) => { err2 += d.toString(); });
    await waitFor('the rerun to wait for cutover', () => /^migrate: \S+ phase wait-for-cutover$/m.test(err2));
    assert.match(err2, /resuming: copy after/, err2);
    await sleep(300);
    const stats = await workload.stop();
    assert.ok(stats.keysUpdated > 0 && stats.deleted > 0 && stats.inserted > 0, JSON.stringify(stats));
    if (shape.custom) assert.ok(stats.custom > 0, 'parent rows deleted during the migration');
    await snapshotExpected(shape.database, ALTER);
    await pool.query('DROP TABLE `_sluice_sentinel`');
    const r2 = await second.done;
    assert.equal(r2.code, 0, r2.stderr);

    assert.deepEqual(await constraintLines(pool, shape.check.table), shape.check.lines);
    const own = await constraintLines(pool, 't');
    const names = own.map((l) => /^CONSTRAINT `([^`]+)`/.exec(l)![1]!);
    if (names.length > 0) await pool.query(`ALTER TABLE t ${names.map((n) => `DROP FOREIGN KEY \`${n}\``).join(', ')}`);
    const c = await compareTables(pool, shape.database, 't', 'expected_t');
    assert.ok(isIdentical(c), describeComparison(c));
  } finally {
    if (workload.running) await workload.stop().catch(() => undefined);
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

const CHILD_SETUP = [
  'CREATE TABLE p (id INT PRIMARY KEY)',
  `INSERT INTO p (id) SELECT seq FROM seq_1_to_${PARENTS}`,
];

test('SIGKILL and resume: child side, constraints kept, with cascaded deletes', async () => {
  await killAndResume({
    database: 'fk_kill_child',
    create: 'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, pid INT, v INT, KEY (pid))',
    setupSql: [...CHILD_SETUP, 'ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE'],
    columns: { pid, v: orNull(intIn(-1000, 1000)) },
    flags: [],
    custom: async (conn, rng) => {
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
    },
    check: { table: 't', lines: ['CONSTRAINT `fk_t_p` FOREIGN KEY (`pid`) REFERENCES `p` (`id`) ON DELETE CASCADE'] },
  });
});

test('SIGKILL and resume: child side with --discard-foreign-keys', async () => {
  await killAndResume({
    database: 'fk_kill_discard',
    create: 'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, pid INT, v INT, KEY (pid))',
    setupSql: [...CHILD_SETUP, 'ALTER TABLE t ADD FOREIGN KEY (pid) REFERENCES p (id)'],
    columns: { pid, v: orNull(intIn(-1000, 1000)) },
    flags: ['--discard-foreign-keys'],
    check: { table: 't', lines: [] },
  });
});

for (const method of ['rebuild-constraints', 'drop-swap']) {
  test(`SIGKILL and resume: parent side with --alter-foreign-keys-method ${method}`, async () => {
    await killAndResume({
      database: `fk_kill_parent_${method.replace('-', '_')}`,
      create: 'CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v INT)',
      setupSql: [
        'CREATE TABLE c (cid INT PRIMARY KEY, tid INT, KEY (tid))',
        'INSERT INTO c (cid, tid) SELECT id, id FROM t WHERE MOD(id, 3) = 0',
        'ALTER TABLE c ADD CONSTRAINT fk_c_t FOREIGN KEY (tid) REFERENCES t (id) ON DELETE CASCADE ON UPDATE CASCADE',
      ],
      columns: { v: orNull(intIn(-1000, 1000)) },
      flags: ['--alter-foreign-keys-method', method],
      check: { table: 'c', lines: ['CONSTRAINT `fk_c_t` FOREIGN KEY (`tid`) REFERENCES `t` (`id`) ON DELETE CASCADE ON UPDATE CASCADE'] },
    });
  });
}
