/**
 * Stress for resume (issue 4): runs checkpoint scenarios 1 (resume during copy), 4 (strict, binlog
 * purged), 5 (strict, too old), 9 (teardown race, several seeds a round) and 11 (SIGKILL of the
 * CLI) in a loop and prints pass/fail counts. Not part of `npm test`.
 *
 *   SLUICE_SANDBOX_PORT=3320 node --import tsx scripts/stress-resume.ts --rounds 20 [--race-seeds 5]
 *
 * Seeds derive from a base seed (SEED=<n> to replay); a failure prints its scenario and seed.
 * Exit code 1 when anything failed.
 */
import { parseArgs } from 'node:util';
import { startSandbox } from './sandbox.ts';
import { refusal, resumeDuringCopy, sigkillRuns, teardownRace } from '../test/integration/checkpoint-scenarios.ts';
import { baseSeed } from '../test/support/random.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '10' }, 'race-seeds': { type: 'string', default: '5' } },
  allowPositionals: false,
});
const rounds = Number(values.rounds);
const raceSeeds = Number(values['race-seeds']);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(raceSeeds) || raceSeeds < 0) {
  console.error('stress-resume: --rounds and --race-seeds take whole numbers (rounds >= 1)');
  process.exit(2);
}

const scenarios: Array<[string, (seed: number) => Promise<unknown>]> = [
  ['1 resume during copy', (seed) => resumeDuringCopy(seed, 'int')],
  ['4 strict binlog purged', (seed) => refusal('binlog-purged', true, seed)],
  ['5 strict too old', (seed) => refusal('too-old', true, seed)],
  ['9 teardown race', async (seed) => {
    for (let i = 0; i < raceSeeds; i++) await teardownRace(seed * 100 + i);
  }],
  ['11 SIGKILL', (seed) => sigkillRuns(seed, 3)],
];

await startSandbox();
const base = baseSeed();
console.log(`stress-resume: ${rounds} round(s), ${raceSeeds} race seed(s) a round, base seed ${base} (replay with SEED=${base})`);
const tally = new Map(scenarios.map(([name]) => [name, { pass: 0, fail: 0 }]));
const started = Date.now();
for (let round = 0; round < rounds; round++) {
  const seed = base + round;
  for (const [name, run] of scenarios) {
    const t0 = Date.now();
    try {
      await run(seed);
      tally.get(name)!.pass++;
    } catch (err) {
      tally.get(name)!.fail++;
      const message = err instanceof Error ? err.message : String(err);
      console.log(`FAIL round ${round + 1}, ${name}, seed ${seed}: ${message.split('\n').slice(0, 6).join(' | ')}`);
    }
    process.stdout.write(`round ${round + 1}/${rounds} ${name}: ${Date.now() - t0} ms\n`);
  }
}
console.log(`\nstress-resume: ${rounds} round(s) in ${((Date.now() - started) / 1000).toFixed(0)} s (base seed ${base})`);
let failed = 0;
for (const [name, { pass, fail }] of tally) {
  failed += fail;
  console.log(`  ${name.padEnd(24)} pass ${pass}  fail ${fail}`);
}
console.log(failed === 0 ? 'all passed' : `${failed} failure(s)`);
process.exitCode = failed === 0 ? 0 : 1;
