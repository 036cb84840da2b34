/**
 * Data fidelity across primary-key shapes, under a concurrent workload that also moves rows to new
 * keys (PK updates, one column of a composite key at a time too): composite (INT, VARCHAR
 * case-insensitive, DATETIME(6)) keys on the keyset chunker, VARCHAR keys under a case-insensitive
 * collation (keys differing only in case collide), BINARY(16) keys with NUL/0xFF and trailing zero
 * bytes, BIGINT UNSIGNED keys up to 2^64-1 on the arithmetic chunker.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source at cutover.
 */
import { test, after } from 'node:test';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { intIn, orNull, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const word = (alphabet: string[], min: number, max: number) => (rng: Rng) =>
  Array.from({ length: min + Math.floor(rng() * (max - min + 1)) }, () => pick(rng, alphabet)).join('');

const values: Record<string, ValueGen> = {
  v: orNull(intIn(-1_000_000, 1_000_000)),
  w: orNull(word([...'abcXYZ😀é '], 0, 20)),
};
const VALUE_COLUMNS = 'v INT, w VARCHAR(40) CHARACTER SET utf8mb4';

test('composite key (INT, VARCHAR case-insensitive, DATETIME(6)) with PK moves, keyset chunks', async () => {
  const database = 'fidelity_keys_composite';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, rows: 4000, seed: 41,
    create: `CREATE TABLE t (a INT NOT NULL, b VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      c DATETIME(6) NOT NULL, ${VALUE_COLUMNS}, PRIMARY KEY (a, b, c))`,
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 1, MODIFY w VARCHAR(80) CHARACTER SET utf8mb4',
    target: {
      key: ['a', 'b', 'c'],
      newKey: (rng) => [
        intIn(-3, 40)(rng),
        word([...'aAbBcCßs😀'], 0, 4)(rng),
        `2024-01-01 00:00:0${Math.floor(rng() * 3)}.${String(Math.floor(rng() * 40)).padStart(6, '0')}`,
      ],
      columns: values,
    },
  });
  checkOutcome(outcome);
});

test('VARCHAR key under a case-insensitive collation (emoji that collate equal, accents, ß = ss, case variants) with PK moves', async () => {
  const database = 'fidelity_keys_varchar_ci';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, rows: 6000, seed: 42, chunkDelayMs: 250,
    create: `CREATE TABLE t (k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY, ${VALUE_COLUMNS})`,
    alter: 'ADD INDEX by_v (v), MODIFY v BIGINT',
    target: { key: ['k'], newKey: (rng) => [word([...'aAeEéÉ😀🎉ßsxyzXYZ0123'], 1, 8)(rng)], columns: values },
  });
  checkOutcome(outcome);
});

test('BINARY(16) key with NUL, 0xFF and trailing zero bytes with PK moves', async () => {
  const database = 'fidelity_keys_binary';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, rows: 6000, seed: 43, chunkDelayMs: 250,
    create: `CREATE TABLE t (k BINARY(16) NOT NULL PRIMARY KEY, ${VALUE_COLUMNS})`,
    alter: 'ADD COLUMN extra VARBINARY(4) DEFAULT X\'00FF\'',
    target: {
      key: ['k'],
      newKey: (rng) => {
        // Mostly zero and 0xFF bytes, often a short prefix (the server pads with trailing zeros).
        const n = rng() < 0.5 ? 1 + Math.floor(rng() * 4) : 16;
        return [Buffer.from(Array.from({ length: n }, () => pick(rng, [0x00, 0xff, 0x01, 0x80, Math.floor(rng() * 256)])))];
      },
      columns: values,
    },
  });
  checkOutcome(outcome);
});

test('BIGINT UNSIGNED key up to 2^64-1 (beyond 2^53) with PK moves, arithmetic chunks', async () => {
  const database = 'fidelity_keys_bigint_unsigned';
  databases.push(database);
  const top = 2n ** 64n - 1n;
  const outcome = await runFidelityCase({
    database, rows: 4000, seed: 44,
    create: `CREATE TABLE t (k BIGINT UNSIGNED NOT NULL PRIMARY KEY, ${VALUE_COLUMNS})`,
    alter: 'ADD COLUMN extra INT',
    target: {
      key: ['k'],
      integerKey: true,
      newKey: (rng) => {
        const r = rng();
        if (r < 0.02) return [top.toString()];
        // Near the top, near 2^53 and near zero.
        const base = r < 0.6 ? top - 300_000n : r < 0.8 ? 2n ** 53n - 1000n : 0n;
        return [(base + BigInt(Math.floor(rng() * 300_000))).toString()];
      },
      columns: values,
    },
  });
  checkOutcome(outcome);
});
