/**
 * The Prometheus endpoint through the real CLI: scraped while a deferred cutover waits, its numbers
 * agree with the table (rows copied = rows in the table, chunk rows add up, phase and outcome), and
 * the port is closed once the process has disposed the migration.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Pool } from 'mysql2/promise';
import { connectionFlags, runCli, startCli } from '../support/cli.ts';
import { fileDatabases } from '../support/db.ts';

const DB = 'metrics_test';
const dbs = fileDatabases();
let pool: Pool;
before(async () => { pool = await dbs.database(DB); });

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out.set(`${m[1]}${(m[2] ?? '').replace(/,?(schema|table)="[^"]*"/g, '').replace('{,', '{').replace('{}', '')}`, Number(m[3]));
  }
  return out;
}

test('--metrics-port serves the migration\'s numbers, which agree with the table; the port closes after the run', async () => {
  await pool.query('CREATE TABLE t_metrics (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)');
  await pool.query("INSERT INTO t_metrics SELECT seq, CONCAT('v', seq) FROM seq_1_to_3000");
  const { child, done } = startCli([...connectionFlags(DB), '--no-native', '--defer-cutover', '--metrics-port', '0',
    '--statement', 'ALTER TABLE t_metrics ADD COLUMN d INT NULL']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  let metrics = new Map<string, number>();
  while (Date.now() < deadline) {
    port ??= Number(/metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr)?.[1]) || undefined;
    if (port) {
      metrics = await scrape(port);
      if (metrics.get('sluice_phase{phase="wait-for-cutover"}') === 1) break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(port, `no metrics address logged: ${stderr}`);
  assert.equal(metrics.get('sluice_phase{phase="wait-for-cutover"}'), 1, [...metrics].join('\n'));
  assert.equal(metrics.get('sluice_phase{phase="copy"}'), 0);
  assert.equal(metrics.get('sluice_rows_copied'), 3000);
  assert.equal(metrics.get('sluice_chunk_rows_total'), 3000);
  assert.ok((metrics.get('sluice_chunks_copied_total') ?? 0) >= 1);
  assert.equal(metrics.get('sluice_chunk_duration_seconds_count'), metrics.get('sluice_chunks_copied_total'));
  assert.equal(metrics.get('sluice_copy_progress_ratio'), 1);
  assert.equal(metrics.get('sluice_outcome{outcome="running"}'), 1);
  assert.equal(metrics.get('sluice_throttled{reason=""}'), 0);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, new RegExp(`sluice_rows_copied\\{schema="${DB}",table="t_metrics"\\} 3000`));

  await pool.query('DROP TABLE _sluice_sentinel');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the metrics port is still open after the run');
});

test('a metrics port that is taken is a one-line refusal before anything is created', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    await pool.query('CREATE TABLE t_taken (id INT PRIMARY KEY)');
    const r = await runCli([...connectionFlags(DB), '--no-native', '--metrics-port', String(port), '--statement', 'ALTER TABLE t_taken ADD COLUMN d INT NULL']);
    assert.equal(r.code, 2, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('migrate: error:'));
    assert.deepEqual(errors, [`migrate: error: cannot serve metrics on 127.0.0.1:${port} (EADDRINUSE): choose another --metrics-port`]);
    const [rows] = await pool.query("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE '\\_t\\_taken%'", [DB]);
    assert.deepEqual(rows, []);
  } finally {
    blocker.close();
  }
});
