/**
 * The key shapes of issue 9 ("Keys"), as fidelity cases: each a table, an ALTER, the workload's
 * view of the table (its key moves and its updates of every column, the chosen key's columns
 * included) and the key Sluice must choose. Used by test/integration/fidelity-key-choice.test.ts
 * (in process) and key-choice-sigkill.test.ts (the CLI killed and resumed).
 */
import type { FidelityCase } from './fidelity-harness.ts';
import { intIn, orNull, type Rng, type ValueGen } from './workload.ts';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const word = (min: number, max: number): ValueGen => (rng) =>
  Array.from({ length: min + Math.floor(rng() * (max - min + 1)) }, () => pick(rng, [...'abcdefXYZ01'])).join('');

const values: Record<string, ValueGen> = { v: orNull(intIn(-1_000_000, 1_000_000)), w: orNull(word(0, 20)) };
const VALUE_COLUMNS = 'v INT, w VARCHAR(40)';

export interface KeyShape extends Omit<FidelityCase, 'database'> {
  readonly name: string;
  /** The key event's `key` Sluice must report. */
  readonly expectedKey: { columns: string[]; index: string; shadowIndex: string };
}

/** Members declared out of alphabetical order: string order and index order differ. */
const MEMBERS = ['zeta', 'alpha', 'mid', 'beta', 'omega'];

export const KEY_SHAPES: readonly KeyShape[] = [
  {
    name: 'pk_widened',
    rows: 5000, seed: 91,
    create: `CREATE TABLE t (id INT NOT NULL, i INT NOT NULL, ${VALUE_COLUMNS}, PRIMARY KEY (id))`,
    alter: 'DROP PRIMARY KEY, ADD PRIMARY KEY (id, i)',
    // i is a column of the new key: the workload's updates change it (key-column updates of (id, i)).
    target: { key: ['id'], newKey: (rng) => [intIn(1, 12_000)(rng)], columns: { ...values, i: intIn(0, 6) } },
    expectedKey: { columns: ['id', 'i'], index: 'PRIMARY', shadowIndex: 'PRIMARY' },
  },
  {
    name: 'pk_swapped',
    rows: 5000, seed: 92,
    create: `CREATE TABLE t (id INT NOT NULL, code VARCHAR(16) NOT NULL, ${VALUE_COLUMNS}, PRIMARY KEY (id), UNIQUE KEY uk (code))`,
    alter: 'DROP PRIMARY KEY, ADD PRIMARY KEY (code), ADD INDEX by_id (id)',
    // code is the chosen key: the workload's updates rewrite it.
    target: { key: ['id'], newKey: (rng) => [intIn(1, 12_000)(rng)], columns: { ...values, code: word(1, 6) } },
    expectedKey: { columns: ['code'], index: 'uk', shadowIndex: 'PRIMARY' },
  },
  {
    name: 'unique_only',
    rows: 5000, seed: 93,
    create: `CREATE TABLE t (id INT NOT NULL, code VARCHAR(16) NOT NULL, nul INT NULL, ${VALUE_COLUMNS}, UNIQUE KEY u_nul (nul), UNIQUE KEY uk (code))`,
    alter: 'ADD COLUMN extra INT NOT NULL DEFAULT 7, ADD INDEX by_v (v)',
    target: { key: ['code'], newKey: (rng) => [word(1, 6)(rng)], columns: { ...values, id: intIn(0, 100), nul: orNull(intIn(0, 1_000_000), 0.5) } },
    expectedKey: { columns: ['code'], index: 'uk', shadowIndex: 'uk' },
  },
  {
    name: 'enum_key',
    rows: 5000, seed: 94,
    create: `CREATE TABLE t (e ENUM(${MEMBERS.map((m) => `'${m}'`).join(', ')}) NOT NULL, n INT NOT NULL, ${VALUE_COLUMNS}, PRIMARY KEY (e, n))`,
    alter: 'ADD COLUMN extra INT, MODIFY w VARCHAR(80)',
    target: { key: ['e', 'n'], newKey: (rng) => [pick(rng, MEMBERS), intIn(0, 2500)(rng)], columns: values },
    expectedKey: { columns: ['e', 'n'], index: 'PRIMARY', shadowIndex: 'PRIMARY' },
  },
  {
    name: 'decimal_key',
    rows: 5000, seed: 95,
    // Dense around 1.2e13 with six decimals: neighbours differ in the 19th significant digit, far below a DOUBLE's precision.
    create: `CREATE TABLE t (d DECIMAL(20,6) NOT NULL PRIMARY KEY, ${VALUE_COLUMNS})`,
    alter: 'ADD COLUMN extra INT',
    target: {
      key: ['d'],
      newKey: (rng) => [`12000000000000.${String(Math.floor(rng() * 12_000)).padStart(6, '0')}`],
      columns: values,
    },
    expectedKey: { columns: ['d'], index: 'PRIMARY', shadowIndex: 'PRIMARY' },
  },
];
