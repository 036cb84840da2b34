/** `migrate cleanup --table T [--yes]`: what an abandoned migration of T left, listed (dry) or dropped. */
import { cleanupMigration, InvalidOptionError, type CleanupReport, type SluiceConfig } from '../mod.ts';
import { EXIT } from './exit.ts';
import type { CliFlags } from './flags.ts';

export async function runCleanup(flags: CliFlags, config: SluiceConfig, out: NodeJS.WritableStream): Promise<number> {
  if (!flags.table) throw new InvalidOptionError('migrate cleanup needs the table: pass --table T (or --table db.T)');
  if (!config.connection?.user) throw new InvalidOptionError('no database user given: pass --user (or connection.user in the config)');
  const report = await cleanupMigration({ connection: config.connection, table: flags.table, apply: flags.yes });
  out.write(flags.json ? `${JSON.stringify({ type: 'cleanup', at: new Date().toISOString(), ...report })}\n` : `${describe(report)}\n`);
  return EXIT.ok;
}

function describe(r: CleanupReport): string {
  const where = `${r.schema}.${r.table}`;
  if (r.leftovers.length === 0) return `migrate: cleanup: nothing left by a migration of ${where}`;
  const lines = r.leftovers.map((l) => {
    if (l.keptBecause) return `  kept     ${l.name} (${l.kind}): ${l.keptBecause}`;
    return `  ${r.applied ? 'dropped ' : 'would drop'} ${l.name} (${l.kind})`;
  });
  const goes = r.leftovers.filter((l) => !l.keptBecause).length;
  const tail = r.applied ? `${r.dropped.length} table(s) dropped` : goes > 0 ? 'dry run: nothing changed; run again with --yes to drop them' : 'nothing to drop';
  return [`migrate: cleanup of ${where}:`, ...lines, `migrate: cleanup: ${tail}`].join('\n');
}
