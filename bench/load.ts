/**
 * The write load, a separate process: a fixed-rate mix of inserts, updates and deletes on
 * bench.t through one plain mysql2 connection, until SIGTERM. Open loop: operation i is due at
 * start + i/rate, and its latency is measured from when it was DUE (a stall delays every later
 * operation, and they all count it). On SIGTERM it finishes the operation in flight, writes every
 * sample to --samples (JSON), and prints a summary (p50/p99/max, errors by code) as JSON on stdout.
 *
 *   MYSQL_PWD=… node --import tsx bench/load.ts --host H --port P --user U --rate 200 --samples FILE
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import mysql, { type Connection } from 'mysql2/promise';
import { LoadMix, type OpKind } from './load-mix.ts';
import { qualified, TABLE } from './dataset.ts';
import { summarize, type Sample } from './load-stats.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '3330' },
    user: { type: 'string', default: 'sluice' }, rate: { type: 'string', default: '200' },
    samples: { type: 'string' },
  },
});
const rate = Number(values.rate);
const connOptions = {
  host: values.host!, port: Number(values.port), user: values.user!, password: process.env.MYSQL_PWD ?? '',
  dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
};

let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
process.on('SIGINT', () => { stopping = true; });

async function connect(): Promise<Connection> {
  for (;;) {
    try {
      return await mysql.createConnection(connOptions);
    } catch (err) {
      if (stopping) throw err;
      await sleep(100);
    }
  }
}

let conn = await connect();
const [[row]] = await conn.query(`SELECT COALESCE(MAX(id), 1) AS m FROM ${qualified(TABLE)}`) as unknown as [[{ m: string }]];
const mix = new LoadMix(Number(row!.m));
const samples: Sample[] = [];
const interval = 1000 / rate;
const start = Date.now();
process.stderr.write(`load: ready at ${rate} ops/s\n`);

for (let i = 0; !stopping; i++) {
  const due = start + i * interval;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait);
  if (stopping) break;
  const kind: OpKind = mix.next();
  const began = Date.now();
  let error: string | undefined;
  let errno: number | undefined;
  try {
    await mix.run(conn, kind);
  } catch (err) {
    const e = err as { code?: string; errno?: number; message?: string; fatal?: boolean };
    if (typeof e.errno === 'number' && e.errno >= 1000 && e.errno < 10_000) errno = e.errno; // the server's, not a socket's (negative) errno
    error = `${e.code ?? 'ERROR'}: ${(e.message ?? String(err)).split('\n')[0]!.slice(0, 160)}`;
    if (e.fatal) {
      await conn.end().catch(() => {});
      conn = await connect();
    }
  }
  const end = Date.now();
  samples.push({ due, latencyMs: end - due, serviceMs: end - began, kind, ...(error ? { error } : {}), ...(errno !== undefined ? { errno } : {}) });
}

await conn.end().catch(() => {});
if (values.samples) writeFileSync(values.samples, JSON.stringify(samples));
process.stdout.write(`${JSON.stringify({ rate, ...summarize(samples) })}\n`);
