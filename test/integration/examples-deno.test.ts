/**
 * examples/deno/migrate.ts under Deno 2: a plugin written in TypeScript and an example plugin
 * (audit-log.mjs) on a real migration, from mod.ts through the import map, no build step.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { testServer } from '../../scripts/sandbox.ts';
import { fileDatabases } from '../support/db.ts';
import { count, EXAMPLES, makeTable, ROOT, showCreate } from './examples-helpers.ts';
import type { Pool } from 'mysql2/promise';

const DB = 'examples_deno';
const dbs = fileDatabases();
let pool: Pool;
before(async () => { pool = await dbs.database(DB); });

test('under Deno 2: a TypeScript plugin and the audit-log example run a real migration from mod.ts', async () => {
  await makeTable(pool, 't', 3000);
  const s = testServer();
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'deno'), [
    'run', '-A', `--import-map=${join(EXAMPLES, 'deno', 'import-map.json')}`, join(EXAMPLES, 'deno', 'migrate.ts'),
  ], {
    cwd: ROOT, encoding: 'utf8', timeout: 240_000,
    env: {
      ...process.env, NO_COLOR: '1',
      SLUICE_DSN: `mysql://${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}@${s.host}:${s.port}/${DB}`,
      SLUICE_STATEMENT: 'ALTER TABLE t ADD COLUMN c INT NULL', SLUICE_AUDIT_TABLE: 'audit',
    },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { result: { rowsCopied: number; mode: string }; counted: { chunks: number; rows: number } };
  assert.equal(out.result.mode, 'copy');
  assert.equal(out.result.rowsCopied, 3000);
  assert.ok(out.counted.chunks >= 1);
  assert.equal(out.counted.rows, 3000);
  assert.match(await showCreate(pool, 't'), /`c` int\(11\) DEFAULT NULL/);
  assert.equal(await count(pool, 't'), 3000);
  const [audit] = await pool.query('SELECT who, outcome, rows_copied FROM audit');
  assert.deepEqual((audit as Array<Record<string, unknown>>).map((a) => ({ ...a, rows_copied: Number(a.rows_copied) })),
    [{ who: 'deno example', outcome: 'done', rows_copied: 3000 }]);
});
