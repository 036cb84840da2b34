/** The checksum plugin's pure parts: options and durations, range descriptions, added UNIQUE indexes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../mod.ts';
import { ChecksumOptionError, checksumPlugin } from '../../plugins/checksum/index.ts';
import { resolveChecksumOptions } from '../../plugins/checksum/options.ts';
import { describeRange } from '../../plugins/checksum/range.ts';
import { addedUniqueIndexes } from '../../plugins/checksum/diagnose.ts';
import type { TableInfo } from '../../plugin-api.ts';

test('options: defaults, durations, and one-line errors that are InvalidOptionErrors', () => {
  assert.deepEqual(resolveChecksumOptions(), {
    enabled: true, threads: undefined, rowsPerChunk: 10_000, maxPasses: 3, snapshotMaxAgeMs: 600_000,
  });
  const r = resolveChecksumOptions({ enabled: false, threads: 4, rowsPerChunk: 50, maxPasses: 1, snapshotMaxAge: '30s' });
  assert.deepEqual(r, { enabled: false, threads: 4, rowsPerChunk: 50, maxPasses: 1, snapshotMaxAgeMs: 30_000 });
  assert.equal(resolveChecksumOptions({ snapshotMaxAge: 2500 }).snapshotMaxAgeMs, 2500);
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ threads: 0 }, /threads must be a whole number from 1 to 64/],
    [{ threads: 1.5 }, /threads/],
    [{ rowsPerChunk: '100' }, /rowsPerChunk/],
    [{ maxPasses: 0 }, /maxPasses/],
    [{ snapshotMaxAge: 'soon' }, /snapshotMaxAge must be a duration/],
    [{ snapshotMaxAge: 0 }, /snapshotMaxAge/],
    [{ enabled: 'no' }, /enabled must be true or false/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => checksumPlugin(options), (err: unknown) => {
      assert.ok(err instanceof ChecksumOptionError);
      assert.ok(err instanceof InvalidOptionError);
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  }
  assert.equal(checksumPlugin().name, 'checksum');
  assert.equal(typeof checksumPlugin().verify, 'function');
});

test('range descriptions name the key columns and both ends, open ends included', () => {
  assert.equal(describeRange(['id'], null, null), '(id): all rows');
  assert.equal(describeRange(['id'], null, [100]), '(id) <= 100');
  assert.equal(describeRange(['id'], [100], null), '(id) > 100');
  assert.equal(describeRange(['id'], ['100'], ['200']), "(id) > '100' and <= '200'");
  assert.equal(describeRange(['a', 'b'], [1, "it's"], [2, 'x']), "(a, b) > (1, 'it''s') and <= (2, 'x')");
});

function table(name: string, columns: string[], primaryKey: string[], indexes: TableInfo['indexes']): TableInfo {
  return {
    schema: 's', name, primaryKey, indexes, foreignKeys: [], triggers: [], engine: 'InnoDB', autoIncrement: null, rowsEstimate: 0,
    columns: columns.map((c) => ({ name: c, columnType: 'int(11)', dataType: 'int', nullable: true, generated: false, charset: null, collation: null, unsigned: false })),
  };
}

test('added UNIQUE indexes: new ones over mapped columns, not ones the source already guarantees', () => {
  const source = table('t', ['id', 'a', 'b', 'c'], ['id'], [
    { name: 'PRIMARY', unique: true, columns: ['id'] },
    { name: 'ua', unique: true, columns: ['a'] },
    { name: 'kb', unique: false, columns: ['b'] },
  ]);
  const shadow = table('_t_new', ['id', 'a', 'b2', 'c', 'd'], ['id'], [
    { name: 'PRIMARY', unique: true, columns: ['id'] },
    { name: 'ua', unique: true, columns: ['a'] },
    { name: 'uab', unique: true, columns: ['a', 'b2'] }, // a alone is unique already
    { name: 'ub', unique: true, columns: ['b2'] }, // renamed column b -> b2
    { name: 'ucd', unique: true, columns: ['c', 'd'] }, // d is new: not checkable on the source
    { name: 'kc', unique: false, columns: ['c'] },
  ]);
  const mapping = { source: ['id', 'a', 'b', 'c'], target: ['id', 'a', 'b2', 'c'] };
  const added = addedUniqueIndexes(source, shadow, mapping);
  assert.deepEqual(added.map((a) => [a.index.name, a.columns]), [['ub', ['b']]]);
});
