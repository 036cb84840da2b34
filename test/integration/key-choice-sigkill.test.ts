/**
 * Issue 9, "Keys": every shape of test/support/key-shapes.ts through the `migrate` CLI, killed with
 * SIGKILL during the copy and resumed from its checkpoint, under the fidelity workload; the result
 * must equal the server's own ALTER of the same rows, both runs must report the expected key (the
 * `key` event of --json), and the checkpoint must hold that key.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dropDatabase } from '../support/fidelity-harness.ts';
import { killAndResume } from '../support/key-resume.ts';
import { KEY_SHAPES } from '../support/key-shapes.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

for (const shape of KEY_SHAPES) {
  test(`${shape.name}: SIGKILL during the copy, resume by key (${shape.expectedKey.columns.join(', ')}), identical to the server's ALTER`, async () => {
    const database = `key_kill_${shape.name}`;
    databases.push(database);
    const outcome = await killAndResume({ ...shape, database });
    for (const event of outcome.keys) assert.deepEqual(event.key, shape.expectedKey);
    assert.deepEqual(JSON.parse(outcome.savedKey), { index: shape.expectedKey.index, shadowIndex: shape.expectedKey.shadowIndex, columns: shape.expectedKey.columns });
  });
}
