/**
 * Issue 9, "Keys": the shapes of test/support/key-shapes.ts migrated in process under the fidelity
 * workload (inserts, updates including the chosen key's columns, key moves, deletes) and compared
 * with the server's own ALTER of the same rows; the key Sluice reports must be the expected one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { definePlugin, Tokens, type TableKey } from '../../mod.ts';
import { checkOutcome, dropDatabase, runFidelityCase } from '../support/fidelity-harness.ts';
import { KEY_SHAPES } from '../support/key-shapes.ts';

const databases: string[] = [];
after(async () => {
  for (const db of databases) await dropDatabase(db);
});

for (const shape of KEY_SHAPES) {
  test(`${shape.name}: ${shape.alter} — by key (${shape.expectedKey.columns.join(', ')}), identical to the server's ALTER`, async () => {
    const database = `fidelity_key_${shape.name}`;
    databases.push(database);
    let chosen: TableKey | undefined;
    const outcome = await runFidelityCase({
      ...shape, database,
      plugins: [definePlugin({ name: 'key-probe', beforeCopy(ctx) { chosen = ctx.resolve(Tokens.Source).key; } })],
    });
    checkOutcome(outcome);
    assert.deepEqual(chosen, shape.expectedKey);
  });
}
