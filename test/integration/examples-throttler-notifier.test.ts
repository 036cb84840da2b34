/**
 * examples/metrics-throttler.mjs and examples/webhook-notifier.mjs, loaded from their config files
 * (examples/configs/) by the BUILT `migrate` CLI, against the sandbox, with loopback HTTP servers
 * standing in for the metrics endpoint and the webhook.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkpointTableName, shadowTableName } from '../../mod.ts';
import { connectionFlags, runCli, startCli } from '../support/cli.ts';
import { fileDatabases } from '../support/db.ts';
import { waitUntil } from './checkpoint-helpers.ts';
import {
  count, ensureBuilt, EXAMPLES, json, jsonEvents, loopbackServer, makeTable, showCreate, tableNames,
} from './examples-helpers.ts';
import type { Pool } from 'mysql2/promise';

const DB = 'examples_tn';
const dbs = fileDatabases();
let pool: Pool;
before(async () => {
  ensureBuilt();
  pool = await dbs.database(DB);
});

const THROTTLER_CONFIG = join(EXAMPLES, 'configs', 'throttler.config.mjs');
const NOTIFIER_CONFIG = join(EXAMPLES, 'configs', 'notifier.migraterc.json');
const migrate = (config: string, statement: string, extra: string[] = []) =>
  ['--config', config, ...connectionFlags(DB), '--no-native', '--json', ...extra, '--statement', statement];

/** A port where nothing listens: a server that was started and closed. */
async function closedPort(): Promise<string> {
  const s = await loopbackServer(() => {});
  await s.close();
  return s.url;
}

test('metrics throttler: pauses the copy while the endpoint reports overload, replay keeps applying, then it completes', async () => {
  await makeTable(pool, 't_thr', 20000);
  const shadow = shadowTableName('t_thr');
  // Overloaded as soon as the copy has started (a chunk is in the shadow table), until released.
  let released = false;
  const metrics = await loopbackServer(async (_req, _body, res) => {
    const copied = (await tableNames(pool, DB)).includes(shadow) && (await count(pool, shadow)) > 0;
    json(res, 200, { overloaded: copied && !released, reason: 'p99 latency 800ms' });
  });
  try {
    const { done } = startCli(migrate(THROTTLER_CONFIG, 'ALTER TABLE t_thr ADD COLUMN c INT NULL'), {
      built: true, env: { SLUICE_METRICS_URL: `${metrics.url}/db/overloaded`, SLUICE_METRICS_INTERVAL: '1ms' },
    });
    await waitUntil('the copy to start', async () => (await tableNames(pool, DB)).includes(shadow) && (await count(pool, shadow)) > 0);
    const polls = metrics.requests.length;
    await waitUntil('three polls while overloaded', () => metrics.requests.length >= polls + 3);
    const paused = await count(pool, shadow);
    assert.ok(paused < 20000, 'the whole table was copied while the endpoint reported overload');
    // Replay never waits on beforeChunk: a write to a copied row reaches the shadow table during the pause.
    await pool.query("UPDATE t_thr SET v = 'during pause' WHERE id = 1");
    await waitUntil('replay to apply the write made during the pause', async () => {
      const [rows] = await pool.query(`SELECT v FROM ${shadow} WHERE id = 1`);
      return (rows as Array<{ v: string }>)[0]?.v === 'during pause';
    });
    const later = metrics.requests.length;
    await waitUntil('two more polls', () => metrics.requests.length >= later + 2);
    assert.equal(await count(pool, shadow), paused, 'the copy went on while overloaded');
    released = true;
    const r = await done;
    assert.equal(r.code, 0, r.stderr);
    const logs = jsonEvents(r.stdout).filter((e) => e.type === 'log').map((e) => String(e.message));
    assert.ok(logs.some((m) => /metrics-throttler: pausing the copy \(replay continues\): p99 latency 800ms/.test(m)), logs.join('\n'));
    assert.ok(logs.some((m) => /metrics-throttler: resuming the copy after/.test(m)), logs.join('\n'));
    assert.match(await showCreate(pool, 't_thr'), /`c` int\(11\) DEFAULT NULL/);
    assert.equal(await count(pool, 't_thr'), 20000);
    const [row] = await pool.query('SELECT v FROM t_thr WHERE id = 1');
    assert.deepEqual(row, [{ v: 'during pause' }]);
  } finally {
    await metrics.close();
  }
});

test('metrics throttler fails closed: an endpoint that is down pauses the copy, bounded by maxPause (exit 1, checkpoint kept); a rerun resumes', async () => {
  await makeTable(pool, 't_down', 2000);
  const statement = 'ALTER TABLE t_down ADD COLUMN c INT NULL';
  const r = await runCli(migrate(THROTTLER_CONFIG, statement), {
    built: true, env: { SLUICE_METRICS_URL: await closedPort(), SLUICE_METRICS_MAX_PAUSE: '1s' },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /migrate: error: metrics-throttler: the copy was paused .* \(maxPause 1s\): metrics endpoint unreachable/);
  const failed = jsonEvents(r.stdout).find((e) => e.type === 'failed');
  assert.equal(failed?.code, 'METRICS_PAUSE_TOO_LONG');
  assert.doesNotMatch(await showCreate(pool, 't_down'), /`c`/, 'the original table changed');
  const tables = await tableNames(pool, DB);
  assert.ok(tables.includes(checkpointTableName('t_down')) && tables.includes(shadowTableName('t_down')), `state dropped: ${tables.join(', ')}`);
  assert.equal(await count(pool, shadowTableName('t_down')), 0, 'fail closed: nothing may be copied while the metrics are unknown');

  const metrics = await loopbackServer((_req, _body, res) => json(res, 200, { overloaded: false }));
  try {
    const again = await runCli(migrate(THROTTLER_CONFIG, statement), { built: true, env: { SLUICE_METRICS_URL: metrics.url } });
    assert.equal(again.code, 0, again.stderr);
    const done = jsonEvents(again.stdout).find((e) => e.type === 'done') as { result: { resumed: boolean } } | undefined;
    assert.equal(done?.result.resumed, true);
    assert.equal(await count(pool, 't_down'), 2000);
    assert.match(await showCreate(pool, 't_down'), /`c` int\(11\) DEFAULT NULL/);
  } finally {
    await metrics.close();
  }
});

test('webhook notifier (by module path from a JSON config): posts each phase, the summary and a failure as JSON', async () => {
  await makeTable(pool, 't_ntf', 1500);
  const hook = await loopbackServer((_req, _body, res) => json(res, 200, { ok: true }));
  try {
    const env = { SLUICE_WEBHOOK_URL: `${hook.url}/hooks/migrations` };
    const r = await runCli(migrate(NOTIFIER_CONFIG, 'ALTER TABLE t_ntf ADD COLUMN c INT NULL'), { built: true, env });
    assert.equal(r.code, 0, r.stderr);
    const bodies = hook.requests.map((q) => q.body as Record<string, unknown>);
    assert.ok(hook.requests.every((q) => q.method === 'POST' && q.path === '/hooks/migrations'));
    assert.deepEqual(bodies.map((b) => b.event === 'phase' ? b.phase : b.event),
      ['preflight', 'copy', 'copied', 'verify', 'cutover', 'swapped', 'done']);
    assert.ok(bodies.every((b) => b.migration === `${DB}.t_ntf` && b.statement === 'ALTER TABLE t_ntf ADD COLUMN c INT NULL'));
    const summary = bodies.at(-1)!.result as { rowsCopied: number; mode: string; cutover: { lockMs: number } };
    assert.equal(summary.rowsCopied, 1500);
    assert.equal(summary.mode, 'copy');
    assert.equal(typeof summary.cutover.lockMs, 'number');

    hook.requests.length = 0;
    const bad = await runCli(migrate(NOTIFIER_CONFIG, 'ALTER TABLE t_ntf ADD COLUMN v INT NULL'), { built: true, env });
    assert.notEqual(bad.code, 0, bad.stderr);
    const last = hook.requests.at(-1)?.body as Record<string, unknown> | undefined;
    assert.equal(last?.event, 'failed', JSON.stringify(hook.requests));
    assert.match(String(last?.error), /Duplicate column name 'v'|already exists|duplicate/i);
    assert.equal(typeof last?.code, 'string');
    assert.ok(!JSON.stringify(hook.requests).includes('sluice-sandbox'), 'a password was posted');
  } finally {
    await hook.close();
  }
});

test('webhook notifier never fails the migration: a webhook that is down, or never answers, is a warning', async () => {
  const hanging = await loopbackServer(() => { /* never answers */ });
  try {
    for (const [i, url] of [await closedPort(), hanging.url].entries()) {
      const table = `t_ntf_down${i}`;
      await makeTable(pool, table, 500);
      const r = await runCli(migrate(NOTIFIER_CONFIG, `ALTER TABLE ${table} ADD COLUMN c INT NULL`), {
        built: true, env: { SLUICE_WEBHOOK_URL: url, SLUICE_WEBHOOK_TIMEOUT: '300ms' },
      });
      assert.equal(r.code, 0, r.stderr);
      const warnings = jsonEvents(r.stdout).filter((e) => e.type === 'log' && e.level === 'warn').map((e) => String(e.message));
      assert.ok(warnings.some((w) => /webhook-notifier: could not post "done" .*the migration goes on/.test(w)), warnings.join('\n'));
      assert.match(await showCreate(pool, table), /`c` int\(11\) DEFAULT NULL/);
    }
    assert.ok(hanging.requests.length >= 1, 'the hanging webhook was never called');
  } finally {
    await hanging.close();
  }
});
