/**
 * Phase `inspect`: understand the statement and the table, and refuse early — before anything is
 * created — with a typed one-line error. Then the plugins' `preflight` hooks (the MDL plugin takes
 * its lock there). Last, the plugins' `resume` answer (see after-swap.ts for a rerun after the swap).
 */
import { readUserSession } from '../connection/user-session.ts';
import { InvalidOptionError } from '../errors.ts';
import type { Phase } from '../lifecycle/migration.ts';
import { checkAlterSupported } from '../preflight/alter.ts';
import { checkPrivileges } from '../preflight/privileges.ts';
import { checkServerSettings } from '../preflight/server.ts';
import { checkStoredGeneratedInputs } from '../preflight/generated.ts';
import { checkKeyColumnChanges } from '../preflight/key-change.ts';
import { checkTable } from '../preflight/table.ts';
import { probeAlter } from '../shadow/probe.ts';
import { parseAlter } from '../statement/parse.ts';
import { withStoredNames } from '../statement/stored-names.ts';
import { inspectTable } from '../table/inspect.ts';
import { Tokens } from '../tokens.ts';
import { finishEarlierCutover } from './after-swap.ts';
import { RunStateToken } from './state.ts';

export const inspectPhase: Phase = {
  name: 'inspect',
  async run(ctx) {
    const options = ctx.resolve(Tokens.Options);
    const pool = ctx.resolve(Tokens.Pool);
    const parsed = parseAlter(options.statement);
    checkAlterSupported(parsed);
    const schema = parsed.schema ?? options.connection.database;
    if (!schema) {
      throw new InvalidOptionError(`no database for table ${parsed.table}: pass --database or write ALTER TABLE db.${parsed.table} …`);
    }
    await checkServerSettings(pool, ctx.resolve(Tokens.Flavor));
    await checkPrivileges(pool, schema);
    const session = await readUserSession(pool, { sqlMode: options.sqlMode, timeZone: options.timeZone });
    const source = await inspectTable(pool, schema, parsed.table);
    checkTable(source, parsed);
    // From here on only the names as stored: with lower_case_table_names 1 or 2, `Orders` and
    // `orders` are one table, one shadow, one checkpoint (statement included) and one lock.
    // Provided before the probe, so that a plugin's onError can name the table of a refusal.
    const statement = withStoredNames(options.statement, source.schema, source.name);
    ctx.provide(Tokens.Target, { schema: source.schema, table: source.name, statement, parsed });
    ctx.provide(Tokens.Source, source);
    ctx.provide(Tokens.UserSession, session);
    // The statement tried on an empty temporary copy: the server's refusal, and the new key column types.
    const probe = await probeAlter(pool, source, parsed, session);
    if (probe) {
      checkKeyColumnChanges(source, probe.columns, parsed.renamedColumns);
      await checkStoredGeneratedInputs(pool, source, parsed, probe.columns);
    }
    const state = ctx.resolve(RunStateToken);
    state.rowsEstimate = source.rowsEstimate;
    state.probeIndexes = probe?.indexes ?? null;
    await ctx.hooks.call(ctx, 'preflight');
    // Asked here, under the preflight's lock and before the native phase could alter the table:
    // a checkpoint saying an earlier run already swapped the tables ends the run here.
    const point = await ctx.hooks.resume(ctx);
    state.resumePoint = point;
    if (point?.cutOver) return finishEarlierCutover(ctx, { ...point, cutOver: point.cutOver });
  },
};
