import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { CLI_README, EVENTS_SCHEMA_FILE, eventsSchemaText, readmeText } from '../../scripts/event-schema.ts';

test('schema/migrate.events.schema.json is what `npm run schema:events` writes from cli/event-schema.ts', () => {
  assert.equal(readFileSync(EVENTS_SCHEMA_FILE, 'utf8'), eventsSchemaText());
});

test('the event table in cli/README.md is what `npm run schema:events` writes', () => {
  const current = readFileSync(CLI_README, 'utf8');
  assert.equal(current, readmeText(current));
});
