/**
 * How far a real replica falls behind during a migration, with and without deferred indexes
 * (the build replicates as one DDL the replica applies serially). Uses the test replica
 * (test/support/replica.ts, port SLUICE_SANDBOX_PORT + 10) of your sandbox:
 *
 *   SLUICE_SANDBOX_PORT=4107 node --import tsx bench/replica-lag.ts --rows 300000 --repeats 2
 *
 * Per run: the replica's Seconds_Behind_Master sampled every 200 ms (max), how long the cutover's
 * throttler waited for the replica (beforeCutover, `--replica`), the engine's phase times.
 */
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createMigration } from '../mod.ts';
import { testServer } from '../scripts/sandbox.ts';
import { testConnection } from '../test/support/db.ts';
import { ReplicaSandbox } from '../test/support/replica.ts';
import { median } from './stats.ts';

const { values } = parseArgs({ options: { rows: { type: 'string' }, repeats: { type: 'string' } } });
const rows = Number(values.rows ?? 300_000);
const repeats = Number(values.repeats ?? 2);
const DB = 'replag_bench';
const replica = new ReplicaSandbox({ wildDoTable: 'replag%.%' });
await replica.start();
const primary = await mysql.createConnection(testServer());
const out: Record<string, Array<Record<string, number>>> = { defer: [], nodefer: [] };
try {
  for (let r = 0; r < repeats; r++) {
    for (const mode of r % 2 === 0 ? ['defer', 'nodefer'] : ['nodefer', 'defer']) {
      await primary.query(`DROP DATABASE IF EXISTS ${DB}`);
      await primary.query(`CREATE DATABASE ${DB}`);
      await primary.query(`CREATE TABLE ${DB}.t (id INT PRIMARY KEY, a INT NOT NULL, b VARCHAR(40) NOT NULL, c DATETIME NOT NULL,
        KEY by_a (a), KEY by_b (b), KEY by_c_a (c, a)) ENGINE=InnoDB`);
      await primary.query(`INSERT INTO ${DB}.t SELECT seq, (seq * 7919) % 100000, CONCAT('v', (seq * 13) % 99991), '2025-01-01' + INTERVAL seq MINUTE FROM ${DB}.seq_1_to_${rows}`);
      await replica.waitCaughtUp(600_000);
      let maxLag = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const s = await replica.status();
          maxLag = Math.max(maxLag, Number(s.Seconds_Behind_Master ?? 0));
          await new Promise((res) => setTimeout(res, 200));
        }
      })();
      const phases: Record<string, number> = {};
      const starts: Record<string, number> = {};
      let waitStart = 0;
      let cutoverWait = 0;
      const started = Date.now();
      {
        await using m = await createMigration({
          connection: testConnection(DB), statement: 'ALTER TABLE t ENGINE=InnoDB', tryNative: false,
          deferIndexes: mode === 'defer', throttle: { replicas: [replica.dsn], maxReplicaLag: 1000 },
        });
        m.on((e) => {
          if (e.type === 'phase') {
            if (e.state === 'start') starts[e.phase] = e.at; else phases[e.phase] = e.at - (starts[e.phase] ?? e.at);
            if (e.phase === 'wait-for-cutover' && e.state === 'start') waitStart = e.at;
            if (e.phase === 'wait-for-cutover' && e.state !== 'start') cutoverWait = e.at - waitStart;
          }
        });
        await m.run();
      }
      const total = Date.now() - started;
      sampling = false;
      await sampler;
      const sample = { total, maxLagS: maxLag, waitForCutover: cutoverWait, copy: phases.copy ?? 0, indexes: phases.indexes ?? 0, verify: phases.verify ?? 0 };
      out[mode]!.push(sample);
      console.log(`${mode} #${r + 1}: ${Object.entries(sample).map(([k, v]) => `${k} ${v}`).join(' · ')}`);
    }
  }
  console.log(`\nmedians, ${rows} rows, ${repeats} repeats (maxLagS: the replica's Seconds_Behind_Master, max of 200 ms samples; ms otherwise):`);
  for (const [mode, list] of Object.entries(out)) {
    console.log(`${mode}: ${Object.keys(list[0] ?? {}).map((k) => `${k} ${median(list.map((s) => s[k]!))}`).join(' · ')}`);
  }
} finally {
  await primary.query(`DROP DATABASE IF EXISTS ${DB}`).catch(() => undefined);
  await primary.end();
  await replica.stop();
}
