/**
 * Data fidelity, string and binary types, under a concurrent workload during copy and replay:
 * CHAR/VARCHAR/TEXT in utf8mb4 (4-byte characters, emoji, combining marks), latin1 (the whole
 * 0x80..0xFF range, including the five bytes cp1252 leaves undefined), sjis and gbk (double-byte
 * characters whose second byte is 0x5C), BINARY/VARBINARY/BLOB with NUL and 0xFF bytes, ENUM/SET
 * (appending values), trailing spaces, empty strings, NULL. Changes: charset conversion, widening.
 * Expectation: the same ALTER applied natively to a snapshot of the quiescent source at cutover.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutcome, countRows, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { edgesOr, intIn, oneOf, orNull, type Rng, type ValueGen } from '../support/workload.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

/** A random string of 0..max characters drawn from `alphabet` (an array of whole characters). */
function stringOf(alphabet: string[], max: number): ValueGen {
  return (rng: Rng) => Array.from({ length: Math.floor(rng() * (max + 1)) }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
}

/** Random bytes of length in [min, max], biased to 0x00 and 0xFF. */
function bytesOf(min: number, max: number): ValueGen {
  return (rng: Rng) => {
    const n = min + Math.floor(rng() * (max - min + 1));
    return Buffer.from(Array.from({ length: n }, () => {
      const r = rng();
      return r < 0.25 ? 0x00 : r < 0.5 ? 0xff : Math.floor(rng() * 256);
    }));
  };
}

const UTF8 = [...'aZ09 ßçéΩжш日本語한국😀🎉👩‍💻🏳️‍🌈𝄞𠜎\u0301\u200d', "'", '"', '\\', '%', '_'];
// latin1 (MySQL's, i.e. cp1252 with 0x81 0x8D 0x8F 0x90 0x9D mapped to the C1 controls): every byte 0x20..0xFF.
const LATIN1 = Array.from({ length: 0xe0 }, (_, i) => Buffer.from([0x20 + i]).toString('latin1'))
  .filter((ch) => !/[\x80\x82-\x8c\x8e\x91-\x9c\x9e\x9f]/.test(ch))
  .concat([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ']);
const SJIS = [...'abc\\~日本語表ソ能予ｶﾀｶﾅ十申暴'];
const GBK = [...'abc\\中文汉字丂乗癶齄'];

const stringColumns: Record<string, ValueGen> = {
  c_utf: orNull(edgesOr(['', ' ', '😀', 'trailing  '], stringOf(UTF8, 10))),
  v_utf: orNull(edgesOr(['', '😀'.repeat(16), 'A', 'a', 'x '], stringOf(UTF8, 30))),
  tx_utf: orNull(edgesOr(['', '\u0000', '🏳️‍🌈'.repeat(100)], stringOf(UTF8, 200))),
  v_lat: orNull(edgesOr(['', '€', '\u0081\u008d\u008f\u0090\u009d', 'café ', 'ÿ'], stringOf(LATIN1, 32))),
  tx_lat: orNull(stringOf(LATIN1, 100)),
  v_sjis: orNull(edgesOr(['', '表\\', 'ソ', '~'], stringOf(SJIS, 20))),
  v_gbk: orNull(edgesOr(['', '中', '\\'], stringOf(GBK, 20))),
  bn: orNull(edgesOr([Buffer.alloc(8, 0), Buffer.alloc(8, 0xff), Buffer.from([0xff]), Buffer.from([0, 0xff, 0])], bytesOf(0, 8))),
  vb: orNull(edgesOr([Buffer.alloc(0), Buffer.alloc(32, 0), Buffer.from([0xff, 0, 0])], bytesOf(0, 32))),
  bl: orNull(edgesOr([Buffer.alloc(0), Buffer.alloc(1000, 0xff)], bytesOf(0, 300))),
  e: orNull(oneOf('a', 'b', 'ç', '😀')),
  s: orNull(oneOf('', 'x', 'x,y', 'z,ü', 'x,y,z,ü', 'ü')),
};

const CREATE = `CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY,
  c_utf CHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci,
  v_utf VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  tx_utf TEXT CHARACTER SET utf8mb4,
  v_lat VARCHAR(32) CHARACTER SET latin1,
  tx_lat TEXT CHARACTER SET latin1 COLLATE latin1_bin,
  v_sjis VARCHAR(20) CHARACTER SET sjis,
  v_gbk VARCHAR(20) CHARACTER SET gbk,
  bn BINARY(8), vb VARBINARY(32), bl BLOB,
  e ENUM('a','b','ç','😀') CHARACTER SET utf8mb4,
  s SET('x','y','z','ü') CHARACTER SET utf8mb4
) DEFAULT CHARSET=utf8mb4`;

const target = { key: ['id'], newKey: (rng: Rng) => [intIn(-200_000, 200_000)(rng)], columns: stringColumns };

test('utf8mb4, latin1, sjis, gbk, binary and ENUM/SET values survive a copy migration (ENUM/SET values appended) under writes', async () => {
  const database = 'fidelity_strings_enum';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: CREATE, target, rows: 5000, seed: 31,
    alter: `MODIFY e ENUM('a','b','ç','😀','new') CHARACTER SET utf8mb4, MODIFY s SET('x','y','z','ü','w') CHARACTER SET utf8mb4, ADD INDEX by_lat (v_lat)`,
  });
  checkOutcome(outcome);
  // The edge values really are in the migrated table.
  const edges: Record<string, string> = {
    'latin1 byte 0x81': `LOCATE(X'81', CAST(v_lat AS BINARY)) > 0`,
    'latin1 byte 0x80 (euro)': `LOCATE(X'80', CAST(tx_lat AS BINARY)) > 0`,
    'a 4-byte UTF-8 character': `tx_utf RLIKE '[😀🎉]'`,
    'sjis 0x5C second byte': `LOCATE(X'955C', CAST(v_sjis AS BINARY)) > 0`,
    'a NUL byte in BINARY': `LOCATE(X'00', bn) > 0`,
    'a 0xFF byte in BLOB': `LOCATE(X'FF', bl) > 0`,
    'an empty VARBINARY': `vb = X''`,
    'the empty SET': `s = ''`,
  };
  for (const [name, where] of Object.entries(edges)) assert.ok(await countRows(database, where) > 0, `no row with ${name}`);
});

test('charset conversion to utf8mb4 and VARCHAR/TEXT widening under writes', async () => {
  const database = 'fidelity_strings_convert';
  databases.push(database);
  const outcome = await runFidelityCase({
    database, create: CREATE, target, rows: 5000, seed: 32,
    alter: [
      'MODIFY v_lat VARCHAR(64) CHARACTER SET utf8mb4', 'MODIFY tx_lat MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin',
      'MODIFY v_sjis VARCHAR(40) CHARACTER SET utf8mb4', 'MODIFY v_gbk VARCHAR(20) CHARACTER SET utf8mb4',
      'MODIFY v_utf VARCHAR(300) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', 'MODIFY c_utf VARCHAR(10) CHARACTER SET utf8mb4',
      'MODIFY vb VARBINARY(64)', 'MODIFY bn BINARY(12)',
    ].join(', '),
  });
  checkOutcome(outcome);
});
