/** Pure rules behind issue 12: AUTO_INCREMENT=N in the statement, the key-change rule, the session zone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAlter } from '../../core/statement/parse.ts';
import { statementAutoIncrement } from '../../core/statement/table-options.ts';
import { keyChangeProblem } from '../../core/preflight/key-change.ts';
import { sessionZone } from '../../core/shadow/time-zone.ts';

test('statementAutoIncrement: the last AUTO_INCREMENT [=] N, with or without "=", space-separated options too', () => {
  assert.equal(statementAutoIncrement(parseAlter('ALTER TABLE t AUTO_INCREMENT=15, MODIFY v BIGINT')), 15n);
  assert.equal(statementAutoIncrement(parseAlter('ALTER TABLE t MODIFY v BIGINT, ENGINE=InnoDB AUTO_INCREMENT 7')), 7n);
  assert.equal(statementAutoIncrement(parseAlter('ALTER TABLE t AUTO_INCREMENT = 3, AUTO_INCREMENT = 99999999999999999999')), 99999999999999999999n);
  assert.equal(statementAutoIncrement(parseAlter("ALTER TABLE t COMMENT 'AUTO_INCREMENT=5', ADD COLUMN auto_increment_x INT")), undefined);
});

test('keyChangeProblem: widenings keep keys; rounding, shortening, collations and type families do not', () => {
  const col = (columnType: string, collation: string | null = null) => ({ name: 'k', columnType, collation });
  for (const [from, to] of [
    [col('int(11)'), col('bigint(20)')], [col('int(11)'), col('bigint(20) unsigned')], [col('decimal(10,2)'), col('decimal(14,4)')],
    [col('varchar(10)', 'utf8mb4_bin'), col('varchar(30)', 'utf8mb4_bin')], [col('char(4)', 'latin1_bin'), col('varchar(4)', 'latin1_bin')],
    [col('binary(4)'), col('varbinary(8)')], [col('datetime(3)'), col('datetime(6)')], [col('int(11)'), col('int(11)')],
  ]) assert.equal(keyChangeProblem(from!, to!), undefined, `${from!.columnType} -> ${to!.columnType}`);
  for (const [from, to, why] of [
    [col('datetime(6)'), col('datetime'), /fractional/], [col('varchar(20)', 'utf8mb4_bin'), col('varchar(5)', 'utf8mb4_bin'), /shortens/],
    [col('varchar(20)', 'utf8mb4_bin'), col('varchar(20)', 'utf8mb4_general_ci'), /collation/], [col('decimal(10,3)'), col('decimal(10,1)'), /decimals/],
    [col('varchar(8)', 'utf8mb4_bin'), col('char(8)', 'utf8mb4_bin'), /trailing/], [col('datetime'), col('timestamp'), /another type/],
    [col('binary(4)'), col('binary(8)'), /another type/], [col('decimal(10,2)'), col('int(11)'), /another type/],
  ] as const) assert.match(keyChangeProblem(from, to) ?? 'none', why, `${from.columnType} -> ${to.columnType}`);
});

test('sessionZone: offsets, UTC names and SYSTEM resolve; named zones stay named', () => {
  assert.deepEqual(sessionZone({ timeZone: '+05:30', systemTimeZone: 'UTC' }), { kind: 'offset', minutes: 330 });
  assert.deepEqual(sessionZone({ timeZone: '-03:00', systemTimeZone: 'UTC' }), { kind: 'offset', minutes: -180 });
  assert.deepEqual(sessionZone({ timeZone: '+00:00', systemTimeZone: 'CET' }), { kind: 'utc' });
  assert.deepEqual(sessionZone({ timeZone: 'SYSTEM', systemTimeZone: 'UTC' }), { kind: 'utc' });
  assert.deepEqual(sessionZone({ timeZone: 'SYSTEM', systemTimeZone: 'CET' }), { kind: 'named', name: 'SYSTEM' });
  assert.deepEqual(sessionZone({ timeZone: 'Europe/Berlin', systemTimeZone: 'UTC' }), { kind: 'named', name: 'Europe/Berlin' });
});
