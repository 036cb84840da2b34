/**
 * Writes schema/migrate.config.schema.json, the JSON Schema of a config file, from cli/config-schema.ts
 * (`npm run schema`). A unit test fails when the committed file is not what this writes.
 */
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../cli/config-schema.ts';

export const SCHEMA_FILE = new URL('../schema/migrate.config.schema.json', import.meta.url);

export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(SCHEMA_FILE, schemaText());
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}
