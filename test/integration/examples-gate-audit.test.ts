/**
 * examples/approval-gate.mjs and examples/audit-log.mjs, loaded from their config files
 * (examples/configs/: YAML by module path, and TypeScript) by the BUILT `migrate` CLI, against the
 * sandbox; a loopback HTTP server stands in for the approval service.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointTableName, shadowTableName } from '../../mod.ts';
import { connectionFlags, runCli, startCli } from '../support/cli.ts';
import { fileDatabases } from '../support/db.ts';
import { waitUntil } from './checkpoint-helpers.ts';
import { count, ensureBuilt, EXAMPLES, json, jsonEvents, loopbackServer, makeTable, showCreate, tableNames } from './examples-helpers.ts';
import type { Pool } from 'mysql2/promise';

const DB = 'examples_ga';
const dbs = fileDatabases();
let pool: Pool;
before(async () => {
  ensureBuilt();
  pool = await dbs.database(DB);
});

const APPROVAL_CONFIG = join(EXAMPLES, 'configs', 'approval.config.yaml');
const AUDIT_CONFIG = join(EXAMPLES, 'configs', 'audit.config.ts');
const migrate = (config: string, statement: string) => ['--config', config, ...connectionFlags(DB), '--no-native', '--json', '--statement', statement];

interface AuditRow {
  who: string; db_user: string; schema_name: string; table_name: string; statement: string; outcome: string;
  rows_copied: string | number; lock_ms: number | null; error: string | null; started_at: string; finished_at: string;
}

async function auditRows(table: string, name: string): Promise<AuditRow[]> {
  const [rows] = await pool.query(`SELECT * FROM ${table} WHERE table_name = ? ORDER BY id`, [name]);
  return rows as AuditRow[];
}

test('approval gate: no approval in time is a clean cancellation (exit 130, checkpoint kept, table untouched); approved over HTTP, the rerun resumes and cuts over', async () => {
  await makeTable(pool, 't_gate', 2000);
  const statement = 'ALTER TABLE t_gate ADD COLUMN c INT NULL';
  const dir = await mkdtemp(join(tmpdir(), 'sluice-gate-'));
  const env = {
    SLUICE_APPROVAL_FILE: join(dir, 'approve-t_gate'), SLUICE_APPROVAL_TIMEOUT: '1s', SLUICE_APPROVAL_INTERVAL: '100ms',
    SLUICE_AUDIT_TABLE: `${DB}.audit`, SLUICE_AUDIT_WHO: 'alice (OPS-42)',
  };
  const first = await runCli(migrate(APPROVAL_CONFIG, statement), { built: true, env });
  assert.equal(first.code, 130, first.stderr);
  assert.match(first.stderr, /migrate: error: migration cancelled \(approval-gate: no approval within 1s\); its checkpoint is kept/);
  const events = jsonEvents(first.stdout);
  assert.ok(events.some((e) => e.type === 'cancelled') && !events.some((e) => e.type === 'failed'), 'reported as a failure');
  assert.doesNotMatch(await showCreate(pool, 't_gate'), /`c`/, 'cut over without an approval');
  const tables = await tableNames(pool, DB);
  assert.ok(tables.includes(checkpointTableName('t_gate')) && tables.includes(shadowTableName('t_gate')), `state dropped: ${tables.join(', ')}`);

  // Approved over HTTP, after the gate has been seen holding the cutover.
  let approved = false;
  const approvals = await loopbackServer((_req, _body, res) => json(res, 200, { approved }));
  try {
    const run = startCli(migrate(APPROVAL_CONFIG, statement), {
      built: true, env: { ...env, SLUICE_APPROVAL_URL: `${approvals.url}/approvals/t_gate`, SLUICE_APPROVAL_TIMEOUT: '60s' },
    });
    await waitUntil('the gate to ask three times', () => approvals.requests.length >= 3, 60_000);
    assert.doesNotMatch(await showCreate(pool, 't_gate'), /`c`/, 'cut over before it was approved');
    approved = true;
    const second = await run.done;
    assert.equal(second.code, 0, second.stderr);
    const done = jsonEvents(second.stdout).find((e) => e.type === 'done') as { result: { resumed: boolean; rowsCopied: number } } | undefined;
    assert.equal(done?.result.resumed, true, 'the rerun started over instead of resuming');
    assert.ok(jsonEvents(second.stdout).some((e) => e.type === 'log' && /cutover approved by the approval at/.test(String(e.message))));
  } finally {
    await approvals.close();
  }
  assert.match(await showCreate(pool, 't_gate'), /`c` int\(11\) DEFAULT NULL/);
  assert.equal(await count(pool, 't_gate'), 2000);
  assert.ok(!(await tableNames(pool, DB)).includes(checkpointTableName('t_gate')), 'the checkpoint outlived the cutover');

  // The audit log (second plugin of the same config) recorded both runs.
  const audit = await auditRows(`${DB}.audit`, 't_gate');
  assert.deepEqual(audit.map((r) => r.outcome), ['cancelled', 'done']);
  assert.ok(audit.every((r) => r.who === 'alice (OPS-42)' && r.statement === statement && r.schema_name === DB));
  assert.match(String(audit[0]!.error), /no approval within 1s/);
  assert.equal(audit[0]!.lock_ms, null);
  assert.equal(typeof audit[1]!.lock_ms, 'number');
});

test('approval gate: a database row approves the cutover (the query runs on the migration\'s pool)', async () => {
  await makeTable(pool, 't_row', 500);
  await pool.query('CREATE TABLE approvals (schema_name VARCHAR(64), table_name VARCHAR(64), approved_by VARCHAR(64))');
  const { child, done } = startCli(migrate(APPROVAL_CONFIG, 'ALTER TABLE t_row ADD COLUMN c INT NULL'), {
    built: true,
    env: {
      SLUICE_APPROVAL_QUERY: `SELECT COUNT(*) FROM ${DB}.approvals WHERE schema_name = ? AND table_name = ?`,
      SLUICE_APPROVAL_INTERVAL: '100ms', SLUICE_APPROVAL_TIMEOUT: '60s', SLUICE_AUDIT_TABLE: 'audit',
    },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await waitUntil('the gate to hold the cutover', () => /approval-gate: holding the cutover/.test(out), 60_000);
  await pool.query("INSERT INTO approvals VALUES ('examples_ga', 'other_table', 'bob')"); // not this table
  await new Promise((r) => setTimeout(r, 500));
  assert.doesNotMatch(await showCreate(pool, 't_row'), /`c`/, 'approved by another table\'s row');
  await pool.query("INSERT INTO approvals VALUES ('examples_ga', 't_row', 'bob')");
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /cutover approved by the approval query/);
  assert.match(await showCreate(pool, 't_row'), /`c` int\(11\) DEFAULT NULL/);
  // a bare audit table name lands in the migrated table's schema
  assert.deepEqual((await auditRows(`${DB}.audit`, 't_row')).map((a) => a.outcome), ['done']);
});

test('audit log (TypeScript config): one row per migration with who, statement, when, outcome, rows and lock time; a failure is a row too', async () => {
  await makeTable(pool, 't_aud', 1200);
  await pool.query('CREATE DATABASE IF NOT EXISTS examples_ga_ops');
  try {
    const env = { SLUICE_AUDIT_TABLE: 'examples_ga_ops.schema_migrations', SLUICE_AUDIT_WHO: 'ci-deploy #981' };
    const ok = await runCli(migrate(AUDIT_CONFIG, 'ALTER TABLE t_aud ADD COLUMN c INT NULL'), { built: true, env });
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(migrate(AUDIT_CONFIG, 'ALTER TABLE t_aud ADD COLUMN v INT NULL'), { built: true, env });
    assert.notEqual(bad.code, 0, bad.stderr);
    const rows = await auditRows('examples_ga_ops.schema_migrations', 't_aud');
    assert.equal(rows.length, 2, JSON.stringify(rows));
    const [done, failed] = rows as [AuditRow, AuditRow];
    assert.equal(done.outcome, 'done');
    assert.equal(done.who, 'ci-deploy #981');
    assert.equal(done.db_user, connectionFlags(DB)[5]);
    assert.equal(done.schema_name, DB);
    assert.equal(done.statement, 'ALTER TABLE t_aud ADD COLUMN c INT NULL');
    assert.equal(Number(done.rows_copied), 1200);
    assert.equal(typeof done.lock_ms, 'number');
    assert.equal(done.error, null);
    assert.ok(String(done.started_at) <= String(done.finished_at), `${done.started_at} > ${done.finished_at}`);
    assert.equal(failed.outcome, 'failed');
    assert.match(String(failed.error), /v/);
    assert.equal(failed.lock_ms, null);
  } finally {
    await pool.query('DROP DATABASE IF EXISTS examples_ga_ops');
  }
});
