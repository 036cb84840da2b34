/**
 * Phase `native`: let the server do it in place when it can (INSTANT; NOCOPY/INPLACE for metadata-only
 * changes). A dry run ends here with its plan (dry-run.ts).
 */
import type { Phase } from '../lifecycle/migration.ts';
import { withUserSession } from '../connection/user-session.ts';
import { tryNativeAlter } from '../native/native.ts';
import { Tokens } from '../tokens.ts';
import { dryRunResult } from './dry-run.ts';
import { RunStateToken } from './state.ts';

export const nativePhase: Phase = {
  name: 'native',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    const state = ctx.resolve(RunStateToken);
    if (options.dryRun) return dryRunResult(ctx); // asks the same question on an unlogged empty copy
    if (!options.tryNative || state.resumePoint) return; // resuming: the shadow table is the plan
    const target = ctx.resolve(Tokens.Target);
    // Under the user's sql_mode and time_zone: the server judges the statement as it would natively.
    const algorithm = await withUserSession(ctx.resolve(Tokens.Pool), ctx.resolve(Tokens.UserSession),
      (conn) => tryNativeAlter(conn, target.schema, target.table, target.parsed, ctx.resolve(Tokens.Flavor), ctx.signal));
    if (!algorithm) return;
    ctx.log.info(`the server altered ${target.schema}.${target.table} in place (ALGORITHM=${algorithm.toUpperCase()}): no copy needed`);
    return {
      schema: target.schema, table: target.table, mode: 'native', durationMs: Date.now() - state.startedAt,
      rowsCopied: 0, rowsWritten: 0, rowsSkipped: 0, rowsResumed: 0, chunks: 0, replayEvents: 0, phases: [], resumed: false, cutover: null, warnings: [],
    };
  },
};
