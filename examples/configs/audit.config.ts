// A TypeScript config (cosmiconfig transpiles it with the typescript package; the plugin itself is
// JavaScript with JSDoc types, so the built CLI imports it as it is).
import { defineConfig } from 'sluice';
import { auditLog } from '../audit-log.mjs';

export default defineConfig({
  plugins: [auditLog({ table: process.env.SLUICE_AUDIT_TABLE ?? 'ops.schema_migrations', who: process.env.SLUICE_AUDIT_WHO })],
});
