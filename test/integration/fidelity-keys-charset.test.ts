/**
 * Data fidelity with primary keys in single-byte and multi-byte legacy charsets, under a concurrent
 * workload that also moves rows to new keys: latin1 keys over the whole 0x20..0xFF range (MySQL's
 * latin1 is cp1252 plus the five bytes 0x81 0x8D 0x8F 0x90 0x9D, which cp1252 leaves undefined),
 * sjis keys (double-byte characters whose second byte is 0x5C, half-width katakana) and gbk keys.
 * Replay finds rows again by the key values decoded from the binlog, so every key must round-trip.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source at cutover.
 */
import { test, after } from 'node:test';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { intIn, orNull, type Rng } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const word = (alphabet: string[], min: number, max: number) => (rng: Rng) =>
  Array.from({ length: min + Math.floor(rng() * (max - min + 1)) }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');

const columns = { v: orNull(intIn(-1000, 1000)), w: orNull(word([...'abc'], 0, 5)) };

const LATIN1 = Array.from({ length: 0xe0 }, (_, i) => Buffer.from([0x20 + i]).toString('latin1'))
  .filter((ch) => !/[\x80\x82-\x8c\x8e\x91-\x9c\x9e\x9f]/.test(ch))
  .concat([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ']);
const UNDEFINED_IN_CP1252 = ['\u0081', '\u008d', '\u008f', '\u0090', '\u009d'];

const cases = [
  {
    name: 'latin1 key over 0x20..0xFF, including the bytes cp1252 leaves undefined',
    charset: 'latin1 COLLATE latin1_bin',
    newKey: (rng: Rng) => [word(rng() < 0.3 ? UNDEFINED_IN_CP1252 : LATIN1, 1, 6)(rng)],
  },
  {
    name: 'sjis key with 0x5C second bytes and half-width katakana',
    charset: 'sjis',
    newKey: (rng: Rng) => [word([...'ab\\~日本表ソ能予ｶﾀﾅ十申暴'], 1, 6)(rng)],
  },
  {
    name: 'gbk key',
    charset: 'gbk',
    newKey: (rng: Rng) => [word([...'ab\\中文汉字丂乗癶齄'], 1, 6)(rng)],
  },
];

for (const [i, c] of cases.entries()) {
  test(c.name, async () => {
    const database = `fidelity_keys_charset_${i}`;
    databases.push(database);
    const outcome = await runFidelityCase({
      database, rows: 6000, seed: 51 + i, chunkDelayMs: 200,
      create: `CREATE TABLE t (k VARCHAR(20) CHARACTER SET ${c.charset} NOT NULL PRIMARY KEY, v INT, w VARCHAR(10))`,
      alter: 'ADD COLUMN extra INT',
      target: { key: ['k'], newKey: c.newKey, columns },
    });
    checkOutcome(outcome);
  });
}
