/** Which errors are a lost connection (retried after waiting for the server) and which are not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ignorable, isConnectionLoss, lifetimeStatements } from '../../core/connection/lifetime.ts';
import { BinlogStreamError } from '../../core/replay/errors.ts';
import { ServerUnreachableError } from '../../core/connection/errors.ts';

const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);

test('network codes and server errnos of a lost connection are losses, also deep in a cause chain', () => {
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST']) {
    assert.ok(isConnectionLoss(err({ code })), code);
  }
  for (const errno of [1053, 1927, 2006, 2013, 4031]) assert.ok(isConnectionLoss(err({ errno })), String(errno));
  assert.ok(isConnectionLoss(new Error("Can't add new command when connection is in closed state")));
  const wrapped = new BinlogStreamError('read ECONNRESET', { cause: err({ code: 'ECONNRESET' }) });
  assert.ok(isConnectionLoss(new Error('checkpoint write failed', { cause: wrapped })), 'two levels down');
});

test('errors that a reconnect cannot fix are not losses', () => {
  for (const errno of [1045, 1064, 1146, 1205, 1213, 1236]) assert.ok(!isConnectionLoss(err({ errno, code: 'ER_X' })), String(errno));
  assert.ok(!isConnectionLoss(new ServerUnreachableError('u@h:1', 5, { cause: err({ code: 'ECONNREFUSED' }) })), 'giving up is final');
  assert.ok(!isConnectionLoss(undefined));
  assert.ok(!isConnectionLoss('ECONNRESET'), 'a bare string is not an error');
});

test('lifetime statements: the idle timeout is never lowered, the other flavor\'s variable is ignored, nothing else is', () => {
  const statements = lifetimeStatements();
  assert.match(statements[0]!.sql, /wait_timeout = GREATEST\(@@GLOBAL\.wait_timeout, \d+\)/);
  const mariadbOnly = statements.find((s) => /max_statement_time/.test(s.sql))!;
  assert.ok(ignorable(mariadbOnly, err({ errno: 1193 })), 'unknown variable on MySQL');
  assert.ok(!ignorable(mariadbOnly, err({ errno: 1227 })), 'a missing privilege is not ignored');
  assert.ok(!ignorable(statements[0]!, err({ errno: 1193 })), 'wait_timeout exists everywhere');
});
