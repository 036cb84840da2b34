/**
 * A/B of Sluice builds or flags on the same data, back to back (for bisecting and for levers):
 *
 *   node --import tsx bench/ab.ts --port 4280 --rows 300000 --repeats 3 \
 *     old=/tmp/old/dist/cli/main.js new=dist/cli/main.js "nodefer=dist/cli/main.js --no-defer-indexes"
 *
 * Each variant is `name=<path to cli/main.js> [extra migrate flags]`. Every repeat runs each
 * variant once (order rotated) on a table freshly reset from the seed, and prints the median
 * per phase. Idle only; the full comparison stays `npm run bench`.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { ensureSeed, resetTable, SCHEMA, TABLE } from './dataset.ts';
import { runMeasured } from './proc.ts';
import { adminPool, purgeBinlogs, settle, startBenchServer } from './server.ts';
import { SluiceEvents } from './sluice-cli.ts';
import { median } from './stats.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { port: { type: 'string' }, rows: { type: 'string' }, repeats: { type: 'string' }, alter: { type: 'string' } },
});
const port = Number(values.port ?? 4280);
const rows = Number(values.rows ?? 300_000);
const repeats = Number(values.repeats ?? 3);
const alter = values.alter ?? 'ENGINE=InnoDB';
const variants = positionals.map((p) => {
  const eq = p.indexOf('=');
  const [main, ...flags] = p.slice(eq + 1).split(/\s+/).filter(Boolean);
  return { name: p.slice(0, eq), main: resolve(main!), flags };
});
if (variants.length === 0) throw new Error('give at least one variant name=path/to/cli/main.js [flags]');

const server = await startBenchServer(port, rows);
const pool = adminPool(server);
await ensureSeed(pool, rows, (s) => console.log(s));
const samples = new Map<string, Array<Record<string, number>>>();
for (let r = 0; r < repeats; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length]!;
    await resetTable(pool);
    await purgeBinlogs(pool);
    await settle(pool);
    const events = new SluiceEvents();
    const args = [v.main, '--json', '--host', server.host, '--port', String(server.port), '--user', server.user,
      '--database', SCHEMA, '--statement', `ALTER TABLE ${mysql.escapeId(TABLE)} ${alter}`, '--no-native', ...v.flags];
    const res = await runMeasured(process.execPath, args, {
      env: { ...process.env, MYSQL_PWD: server.password }, logFile: `/tmp/ab-${process.pid}-${v.name}-${r}.log`, timeoutMs: 900_000,
      onLine: (l) => { if (l.stream === 'stdout') events.feed(l.text, l.at); else if (l.text.trim()) console.error(`  [${v.name}] ${l.text}`); },
    });
    if (!events.done) throw new Error(`${v.name} failed: ${events.failed ?? `exit ${res.code}`}`);
    // Wall-clock time between one phase's end and the next one's start (not inside any phase).
    const spans = [...events.phases.values()].filter((p) => p.start !== undefined && p.end !== undefined).sort((x, y) => x.start! - y.start!);
    const gaps = spans.slice(1).reduce((n, p, i) => n + Math.max(0, p.start! - spans[i]!.end!), 0);
    const b = { total: res.wallMs, ...events.breakdown(res.startedAt, res.endedAt), gaps };
    (samples.get(v.name) ?? samples.set(v.name, []).get(v.name)!).push(b);
    console.log(`${v.name} #${r + 1}: ${Object.entries(b).map(([k, ms]) => `${k} ${Math.round(ms)}`).join(' · ')}`);
  }
}
console.log(`\nmedians (ms), ${rows} rows, ${repeats} repeats, ALTER TABLE t ${alter}:`);
for (const [name, list] of samples) {
  const keys = [...new Set(list.flatMap((s) => Object.keys(s)))];
  console.log(`${name}: ${keys.map((k) => `${k} ${Math.round(median(list.map((s) => s[k] ?? 0)))}`).join(' · ')}`);
}
await pool.end();
