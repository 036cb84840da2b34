/** Binlog coordinates order by the files' numeric suffixes (core/connection/connection.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareBinlogFiles, compareBinlogPositions } from '../../core/connection/connection.ts';

const sign = (n: number) => Math.sign(n);

test('binlog.999999 comes before binlog.1000000 (numbers, not text)', () => {
  assert.equal(sign(compareBinlogFiles('binlog.999999', 'binlog.1000000')), -1);
  assert.equal(sign(compareBinlogFiles('binlog.1000000', 'binlog.999999')), 1);
  assert.equal(sign(compareBinlogFiles('mysql-bin.000009', 'mysql-bin.000010')), -1);
  assert.equal(compareBinlogFiles('binlog.000042', 'binlog.000042'), 0);
  // Beyond 2^53 the suffix still compares exactly.
  assert.equal(sign(compareBinlogFiles('b.9007199254740993', 'b.9007199254740992')), 1);
});

test('positions compare by file first, then by offset', () => {
  const at = (file: string, position: number) => ({ file, position });
  assert.equal(sign(compareBinlogPositions(at('binlog.999999', 900_000), at('binlog.1000000', 4))), -1);
  assert.equal(sign(compareBinlogPositions(at('binlog.1000000', 4), at('binlog.999999', 900_000))), 1);
  assert.equal(sign(compareBinlogPositions(at('binlog.000003', 100), at('binlog.000003', 200))), -1);
  assert.equal(compareBinlogPositions(at('binlog.000003', 100), at('binlog.000003', 100)), 0);
});

test('names without a numeric suffix, or with different bases, fall back to text order', () => {
  assert.equal(sign(compareBinlogFiles('a.log', 'b.log')), -1);
  assert.equal(sign(compareBinlogFiles('alpha.000002', 'beta.000001')), -1);
});
