/**
 * A migration with plugins under Deno 2, from Sluice's TypeScript sources (no build step):
 *
 *   SLUICE_DSN=mysql://admin:secret@127.0.0.1:3306/shop \
 *   SLUICE_STATEMENT='ALTER TABLE orders ADD COLUMN note VARCHAR(64)' \
 *   SLUICE_AUDIT_TABLE=ops.schema_migrations \
 *   deno run -A --import-map=examples/deno/import-map.json examples/deno/migrate.ts
 *
 * The import map points `sluice` at mod.ts, so this file and the example plugins it loads
 * (audit-log.mjs imports `sluice` too) share one copy of Sluice, and with it the same tokens.
 * Prints the result and the plugin's count as one JSON line on stdout.
 */
import { createMigration, definePlugin, token } from 'sluice';
import { auditLog } from '../audit-log.mjs';

const dsn = new URL(process.env.SLUICE_DSN ?? '');
const connection = {
  host: dsn.hostname, port: Number(dsn.port || 3306),
  user: decodeURIComponent(dsn.username), password: decodeURIComponent(dsn.password),
  database: dsn.pathname.slice(1) || undefined,
};

/** A plugin written right here, in TypeScript: counts the chunks copied and the rows in them. */
function chunkCounter(report: (counts: { chunks: number; rows: number }) => void) {
  const Counts = token<{ chunks: number; rows: number }>('chunk-counter:counts');
  return definePlugin({
    name: 'chunk-counter',
    setup(ctx) { ctx.provide(Counts, { chunks: 0, rows: 0 }); },
    afterChunk(ctx, chunk) {
      const c = ctx.resolve(Counts);
      c.chunks += 1;
      c.rows += chunk.rows;
    },
    onSuccess(ctx) {
      const c = ctx.resolve(Counts);
      ctx.log.info(`chunk-counter: ${c.chunks} chunks, ${c.rows} rows`);
      report(c);
    },
  });
}

let counted: { chunks: number; rows: number } | undefined;
{
  await using migration = await createMigration({
    connection,
    statement: process.env.SLUICE_STATEMENT ?? '',
    tryNative: false,
    plugins: [auditLog({ table: process.env.SLUICE_AUDIT_TABLE ?? 'schema_migrations', who: 'deno example' }), chunkCounter((c) => { counted = c; })],
  });
  migration.on((event) => { if (event.type === 'log' && event.level !== 'debug') console.error(`migrate: ${event.message}`); });
  const result = await migration.run();
  console.log(JSON.stringify({ result, counted }));
}
