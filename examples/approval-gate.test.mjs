// @ts-check
/**
 * How a team tests its own plugin with `sluice/testing`, in its own suite (any runner; node:test
 * here): a real migration on a private sandbox server, the hook calls recorded.
 *   node --test examples/approval-gate.test.mjs   (the suite runs it: test/integration/examples-testing.test.ts)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { createTestDatabase, dropTestDatabase, runWithPlugins, startTestServer } from 'sluice/testing';
import { approvalGate } from './approval-gate.mjs';

test('the approval gate cancels cleanly without an approval, and lets an approved cutover through', async () => {
  const server = await startTestServer();
  const connection = await createTestDatabase(server, 'approval_gate_example');
  const db = await mysql.createConnection(connection);
  try {
    await db.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1), (2), (3)');
    const statement = 'ALTER TABLE t ADD COLUMN c INT';
    const file = `/tmp/approve-${process.pid}`;
    const cancelled = await runWithPlugins({
      connection, statement, tryNative: false, plugins: [approvalGate({ file, timeout: '1s', interval: '100ms' })],
    });
    assert.equal(cancelled.outcome, 'cancelled');
    assert.deepEqual(cancelled.hooks('approval-gate'), ['beforeCutover']);

    const approved = await runWithPlugins({
      connection, statement, tryNative: false, plugins: [approvalGate({ query: 'SELECT 1', timeout: '1s' })],
    });
    assert.equal(approved.outcome, 'done');
    assert.equal(approved.result?.resumed, true); // the checkpoint the cancelled run kept
  } finally {
    await db.end();
    await dropTestDatabase(server, 'approval_gate_example');
  }
});
